/** The page's size budget: the build step fails above it (scripts/bundle-budget.mjs, after `vite build`). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../scripts/bundle-budget.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist', import.meta.url));
const check = (env: Record<string, string> = {}) => spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, ...env } });

describe('the production bundle', () => {
  it('is at most 150 kB gzipped', () => {
    expect(existsSync(dist), 'dist/ is made by the build, which the test task depends on').toBe(true);
    const { status, stdout } = check();
    expect(stdout).toMatch(/bundle budget: [\d.]+ kB gzipped, within the budget of 150\.0 kB/);
    expect(status).toBe(0);
  });

  it('fails the build above the budget', () => {
    const { status, stdout } = check({ BUNDLE_BUDGET_BYTES: '10000' });
    expect(stdout).toContain('OVER the budget of 10.0 kB');
    expect(status).toBe(1);
  });
});
