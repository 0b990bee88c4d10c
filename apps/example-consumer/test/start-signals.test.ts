/**
 * How `npm start` (and the other long-lived root commands) end when what started them goes away.
 * npm runs a script through `sh -c` and passes a SIGTERM it gets to that shell, which ends without
 * passing it on; the command's runner (packages/devtools/bootstrap.mjs, `runForwardingSignals`)
 * is then left to init. It must stop its command as on SIGTERM, and end. Here a shell runs a
 * runner whose command records the signals it gets; the shell is killed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, waitUntil } from '@connector-credentials/testkit';

const dir = mkdtempSync(path.join(tmpdir(), 'start-signals-'));
const record = path.join(dir, 'record');
const command = path.join(dir, 'command.cjs');
const runner = path.join(dir, 'runner.mjs');
writeFileSync(
  command,
  `const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(record)}, 'started ' + process.pid + ' ' + process.ppid + '\\n');
process.on('SIGTERM', () => { fs.appendFileSync(${JSON.stringify(record)}, 'SIGTERM\\n'); process.exit(0); });
setInterval(() => undefined, 1000);
`,
);
writeFileSync(
  runner,
  `import { appendFileSync } from 'node:fs';
import { runForwardingSignals } from ${JSON.stringify(pathToFileURL(path.join(repoRoot, 'packages', 'devtools', 'bootstrap.mjs')).href)};
const code = await runForwardingSignals(process.execPath, [${JSON.stringify(command)}]);
appendFileSync(${JSON.stringify(record)}, 'runner ended ' + code + '\\n');
process.exit(code);
`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Generous: only a guard against a hang. */
const UNTIL = { deadlineMs: 60_000, intervalMs: 100 };

describe("a long-lived root command's runner", () => {
  it('stops its command as on SIGTERM, and ends, when the shell that started it is killed', async () => {
    // `; true` keeps the shell waiting on the runner, as npm's `sh -c` does, instead of exec'ing it.
    const shell = spawn('sh', ['-c', `"${process.execPath}" "${runner}"; true`], { stdio: 'ignore' });
    const read = () => {
      try {
        return readFileSync(record, 'utf8');
      } catch {
        return '';
      }
    };
    await waitUntil('the command to start', () => read().startsWith('started '), UNTIL);
    shell.kill('SIGKILL');
    await waitUntil('the runner to end', () => read().includes('runner ended'), UNTIL);
    // The command got one SIGTERM and ended; then the runner ended with its code.
    expect(read().trim().split('\n').slice(1)).toEqual(['SIGTERM', 'runner ended 0']);
  });
});
