// `npm run build|typecheck|lint|generate|changeset`: runs a command of the workspace (turbo, pnpm,
// changeset) on the toolchain the other root commands use, so it works on a fresh clone with only
// Node and npm: Node 24 and the pinned pnpm from .cache/toolchain, and the workspace installed.
import path from 'node:path';
import { ensureInstalled, root, runForwardingSignals } from './bootstrap.mjs';

const [command, ...args] = process.argv.slice(2);
if (command === undefined) throw new Error('usage: node packages/devtools/run.mjs COMMAND [ARGS…]');
ensureInstalled();
// The workspace's own binaries (turbo, changeset) before the toolchain's pnpm and Node.
process.env.PATH = [path.join(root, 'node_modules', '.bin'), process.env.PATH].join(path.delimiter);
process.exit(await runForwardingSignals(command, args));
