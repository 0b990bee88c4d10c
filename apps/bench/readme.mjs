// The README's Performance figures, generated from the results files and never typed by hand:
// everything between `<!-- bench:start -->` and `<!-- bench:end -->` is rendered from
// results/bench-latest.md, results/load-latest.md and results/standing.md (what the profiles show
// is left), with a link to results/profile-notes.md (every step, its profile shares before and
// after). `npm run bench` and `npm run load` rewrite it at their end; `node apps/bench/readme.mjs`
// rewrites it on its own, and `--check` exits 1 when the README differs from what the files render
// (the suite tests the same).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const README = path.resolve(here, '..', '..', 'README.md');
export const RESULTS = path.join(here, 'results');
const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/**
 * A results file as a README part: its `# Title` lines become bold lead lines, so that they do
 * not stand as top-level headings of the README, between its sections.
 */
function part(file, intro) {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return [intro, '', ...lines.map((line) => (line.startsWith('# ') ? `**${line.slice(2)}**` : line))].join('\n');
}

/** The block, markers included, as the results in `dir` render it. */
export function renderBlock(dir = RESULTS) {
  const rel = (name) => `apps/bench/results/${name}`;
  const parts = [
    START,
    '<!-- Generated from apps/bench/results/ by apps/bench/readme.mjs (npm run bench and npm run load rewrite it): do not edit by hand. -->',
    part(path.join(dir, 'bench-latest.md'), `Latest benchmark, from [\`${rel('bench-latest.md')}\`](${rel('bench-latest.md')}):`),
    part(path.join(dir, 'load-latest.md'), `Latest load test (\`npm run load\`), from [\`${rel('load-latest.md')}\`](${rel('load-latest.md')}):`),
  ];
  const standing = path.join(dir, 'standing.md');
  if (existsSync(standing)) parts.push(part(standing, `What the profiles show is left, from [\`${rel('standing.md')}\`](${rel('standing.md')}):`));
  if (existsSync(path.join(dir, 'profile-notes.md'))) {
    parts.push(`Every step taken so far, each with its profile shares before and after and its A/B, is in [\`${rel('profile-notes.md')}\`](${rel('profile-notes.md')}).`);
  }
  return `${parts.join('\n\n')}\n${END}`;
}

/** The README's current block, markers included. */
export function currentBlock(readme = readFileSync(README, 'utf8')) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
  return readme.slice(start, end + END.length);
}

/** Rewrites the README's block from the results in `dir`; returns whether it changed. */
export function writeReadmeBlock(dir = RESULTS) {
  const readme = readFileSync(README, 'utf8');
  const next = readme.replace(currentBlock(readme), renderBlock(dir));
  if (next === readme) return false;
  writeFileSync(README, next);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const same = currentBlock() === renderBlock();
    console.log(same ? 'README.md: the Performance block matches apps/bench/results/.' : 'README.md: the Performance block differs from apps/bench/results/; run node apps/bench/readme.mjs');
    process.exitCode = same ? 0 : 1;
  } else {
    console.log(writeReadmeBlock() ? 'README.md: Performance block rewritten from apps/bench/results/.' : 'README.md: Performance block already up to date.');
  }
}
