/** Readiness checks shared by their callers: a flood of /readyz asks the database at most once per period. */
import { describe, expect, it } from 'vitest';
import { createGate } from '@connector-credentials/testkit';
import { sharedProbe } from '../src/probe.js';

describe('a shared probe', () => {
  it('runs once for every caller that asks while it runs, and keeps the result for its period', async () => {
    let clock = 0;
    let runs = 0;
    const gate = createGate();
    const probe = sharedProbe(
      async () => {
        runs += 1;
        await gate.passed;
        return runs;
      },
      1_000,
      () => clock,
    );
    // Fifty callers at once, the run held until all have asked.
    const asked = Array.from({ length: 50 }, () => probe());
    gate.open();
    expect(await Promise.all(asked)).toEqual(Array.from({ length: 50 }, () => 1));
    clock = 999;
    expect(await probe()).toBe(1);
    clock = 1_000;
    expect(await probe()).toBe(2);
    expect(runs).toBe(2);
  });

  it('keeps no failure: the next caller runs it again', async () => {
    let runs = 0;
    const probe = sharedProbe(async () => {
      runs += 1;
      if (runs === 1) throw new Error('down');
      return 'ok';
    }, 1_000, () => 0);
    await expect(probe()).rejects.toThrow('down');
    expect(await probe()).toBe('ok');
  });
});
