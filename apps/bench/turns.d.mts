/** Stops every process of `pids` but `pid` and waits until they have, resumes `pid`, waits `settleMs` (300), then runs `measure` (see turns.mjs). */
export declare function turn<T>(pids: readonly number[], pid: number | undefined, measure: () => T | Promise<T>, settleMs?: number): Promise<T>;
/** Resumes every process of `pids`. */
export declare function resumeAll(pids: readonly number[]): void;
