// The page's size budget, checked after every `vite build`: the production bundle (every script
// and style sheet in dist/) is at most 150 kB gzipped, else the build fails. Prints each file's size.
// BUNDLE_BUDGET_BYTES lowers or raises the limit (the budget's own test uses it).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const budget = Number(process.env.BUNDLE_BUDGET_BYTES ?? 150_000);

const files = (dir) => readdirSync(dir).flatMap((name) => (statSync(path.join(dir, name)).isDirectory() ? files(path.join(dir, name)) : [path.join(dir, name)]));
const assets = files(dist).filter((file) => /\.(m?js|css)$/.test(file));
if (assets.length === 0) {
  console.error(`bundle budget: no scripts in ${dist}; run vite build first`);
  process.exit(1);
}
let total = 0;
for (const file of assets) {
  const gzipped = gzipSync(readFileSync(file), { level: 9 }).length;
  total += gzipped;
  console.log(`  ${path.relative(dist, file)}: ${(gzipped / 1000).toFixed(1)} kB gzipped`);
}
const verdict = total <= budget ? 'within' : 'OVER';
console.log(`bundle budget: ${(total / 1000).toFixed(1)} kB gzipped, ${verdict} the budget of ${(budget / 1000).toFixed(1)} kB`);
process.exit(total <= budget ? 0 : 1);
