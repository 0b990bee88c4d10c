/** The README's Performance block, rendered from apps/bench/results/ (see readme.mjs). */
export declare const README: string;
export declare const RESULTS: string;
export declare function renderBlock(dir?: string): string;
export declare function currentBlock(readme?: string): string;
export declare function writeReadmeBlock(dir?: string): boolean;
