// `npm run spec:breaking [-- REF]`: the breaking-change gate of the specs (packages/spec-diff). Builds
// it, then compares both specs now with the specs at REF (default: the newest `aitronos-api@*`
// tag, else the previous commit). Exits 1 when the Aitronos spec breaks its users and its
// info.version major did not change.
import { spawnSync } from 'node:child_process';
import { ensureInstalled, root, turbo } from './bootstrap.mjs';

ensureInstalled();
turbo('build', '--filter=@connector-credentials/spec-diff', '--output-logs=errors-only');
const gate = spawnSync(process.execPath, ['packages/spec-diff/dist/cli.js', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(gate.status ?? 1);
