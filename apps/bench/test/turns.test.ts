/** The benchmark's turns: while one target is measured, every other target's process is stopped. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { resumeAll, turn } from '../turns.mjs';

const children: ChildProcess[] = [];
const idle = async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); process.send?.("up")'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  children.push(child);
  await new Promise((resolve) => child.once('message', resolve));
  return child.pid!;
};
/** The process's state letter from /proc: `T` when stopped. */
const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.charAt(0);
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

describe('turn', () => {
  it('runs the measured target alone, stops the others, and resumeAll lets them all run again', async () => {
    const [a, b, c] = [await idle(), await idle(), await idle()];
    const pids = [a, b, c];
    expect(await turn(pids, a, () => pids.map(state), 10)).toEqual([expect.not.stringMatching('T'), 'T', 'T']);
    expect(await turn(pids, b, () => pids.map(state), 10)).toEqual(['T', expect.not.stringMatching('T'), 'T']);
    // No target: every one stopped (the upstream's own latency is measured so).
    expect(await turn(pids, undefined, () => pids.map(state), 10)).toEqual(['T', 'T', 'T']);
    resumeAll(pids);
    await new Promise((r) => setTimeout(r, 50));
    expect(pids.map(state)).not.toContain('T');
  });
});
