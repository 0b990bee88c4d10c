/**
 * How big the generated test loads are (fuzz cases, vendor payloads, fidelity samples). `npm test`
 * runs suite-sized loads, enough to exercise every branch on every run; `TEST_SIZE=full` runs the
 * full-size ones (CI may set it, or run them on a schedule). A variable of the test's own
 * (FUZZ_RUNS, PROPERTY_COUNT, FIDELITY_COUNT) overrides both.
 */
export const TEST_SIZE: 'suite' | 'full' = process.env.TEST_SIZE === 'full' ? 'full' : 'suite';

/** The count for this run: the named variable if set, else the suite's or the full-size default. */
export function sized(variable: string, sizes: { suite: number; full: number }): number {
  const given = process.env[variable];
  if (given !== undefined && given !== '') {
    const value = Number(given);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${variable} must be a positive integer, got ${given}`);
    return value;
  }
  return sizes[TEST_SIZE];
}
