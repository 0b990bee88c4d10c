import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '@connector-credentials/testkit';
import './provided.js';

/**
 * Packages the server once per run, as `npm run package` does (turbo has built it already, so
 * `--no-build`), and hands every suite the tree's path.
 */
export default function setup(project: TestProject): void {
  const output = execFileSync(process.execPath, [path.join(repoRoot, 'packages', 'devtools', 'package.mjs'), '--no-build'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(output);
  project.provide('packageDir', path.join(repoRoot, '.cache', 'package', 'server'));
  project.provide('packageSummary', output.trim().split('\n').at(-1) ?? '');
}
