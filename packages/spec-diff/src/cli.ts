#!/usr/bin/env node
// `npm run spec:breaking [-- REF]`: bundles both specs as they are now and as they were at git REF
// (default: the newest `aitronos-api@*` tag, else the previous commit), prints every change
// classified as breaking, non-breaking or annotation, and exits 1 when the Aitronos spec has a
// breaking change and its info.version major did not change. The Composio spec describes the
// vendor's API: its changes are reported, not gated. With Changesets set up (.changeset/), a
// breaking Aitronos change also needs a pending major changeset of the client; `--changeset`
// writes the changeset the changes call for.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { judge } from './classify.js';
import { bundleSpecs, bundleSpecsAt, defaultRef, repoRootOf } from './bundle.js';
import { formatVerdict } from './report.js';
import { CLIENT_PACKAGE, pendingClientBump, usesChangesets, writeSpecChangeset } from './changeset.js';

/** The API whose users the gate protects. */
export const GATED_API = 'aitronos';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { root: { type: 'string' }, json: { type: 'boolean', default: false }, changeset: { type: 'boolean', default: false } },
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

if (values.changeset) {
  const fromSha = execFileSync('git', ['-C', root, 'rev-parse', `${ref}^{commit}`], { encoding: 'utf8' }).trim();
  const file = writeSpecChangeset(root, fromSha, verdicts);
  console.log(file ? `wrote ${path.relative(root, file)}` : 'no spec change: no changeset written');
}
const gatedBreaking = (verdicts[GATED_API]?.breaking ?? 0) > 0;
if (gatedBreaking && usesChangesets(root) && pendingClientBump(root) !== 'major') {
  console.log(`FAIL: ${GATED_API} has breaking changes and no pending changeset releases ${CLIENT_PACKAGE} as a major: run npm run spec:breaking -- --changeset (or npm run changeset).`);
  failed = true;
}
process.exit(failed ? 1 : 0);
