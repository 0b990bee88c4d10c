// `npm run build|typecheck|lint|generate|changeset`: runs a command of the workspace (turbo, pnpm,
// changeset) on the toolchain the other root commands use, so it works on a fresh clone with only
// Node and npm: Node 24 and the pinned pnpm from .cache/toolchain, and the workspace installed.
import { ensureInstalled, runForwardingSignals } from './bootstrap.mjs';

const [command, ...args] = process.argv.slice(2);
if (command === undefined) throw new Error('usage: node packages/devtools/run.mjs COMMAND [ARGS…]');
ensureInstalled();
// The workspace's own binaries (turbo, changeset) before the toolchain's pnpm and Node.
process.env.PATH = `${new URL('../../node_modules/.bin', import.meta.url).pathname}:${process.env.PATH}`;
process.exit(await runForwardingSignals(command, args, { env: { ...process.env, REDOCLY_TELEMETRY: 'off', TURBO_TELEMETRY_DISABLED: '1' } }));
