#!/usr/bin/env node
// `pnpm spec:breaking [REF]`: bundles both specs as they are now and as they were at git REF
// (default: the newest `aitronos-api@*` tag, else the previous commit), prints every change
// classified as breaking, non-breaking or annotation, and exits 1 when the Aitronos spec has a
// breaking change and its info.version major did not change. The Composio spec describes the
// vendor's API: its changes are reported, not gated.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { judge } from './classify.js';
import { bundleSpecs, bundleSpecsAt, defaultRef, repoRootOf } from './bundle.js';
import { formatVerdict } from './report.js';

/** The API whose users the gate protects. */
export const GATED_API = 'aitronos';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { root: { type: 'string' }, json: { type: 'boolean', default: false } },
});
const root = path.resolve(values.root ?? repoRootOf(process.cwd()));
const ref = positionals[0] ?? defaultRef(root);
if (!ref) {
  console.log('spec:breaking: no aitronos-api@* tag and no previous commit to compare with; nothing to check.');
  process.exit(0);
}

const before = bundleSpecsAt(root, ref);
const now = bundleSpecs(path.join(root, 'openapi'));
let failed = false;
const verdicts: Record<string, ReturnType<typeof judge>> = {};
console.log(`spec:breaking: the specs now against ${ref}`);
for (const api of Object.keys(now)) {
  if (before[api] === undefined) {
    console.log(`${api}: new at this ref, nothing to compare`);
    continue;
  }
  const verdict = judge(before[api], now[api]);
  verdicts[api] = verdict;
  const gated = api === GATED_API;
  if (gated && verdict.fails) failed = true;
  if (!values.json) console.log(formatVerdict(api, verdict, gated));
}
if (values.json) console.log(JSON.stringify({ ref, verdicts }, null, 2));
process.exit(failed ? 1 : 0);
