// Which target runs while the benchmark measures: one at a time on the servers' core.
import { setTimeout as delay } from 'node:timers/promises';
import { statOf } from './proc.mjs';

/**
 * A target takes its turn: every other target's process is stopped (SIGSTOP; the turn waits
 * until each has) and this one runs (SIGCONT; with `pid` undefined, none does), then `settleMs`
 * pass before `measure()` runs.
 * An idle server still spends CPU (V8's concurrent GC after a burst of load, its JIT's compiler
 * threads), and on the shared core that work would land on whichever row is measured next;
 * stopped, it waits for the process's own next turn and is counted there. The settle lets a
 * resumed process handle what arrived while it was stopped (closed keep-alive sockets, due
 * timers) before the load starts.
 */
export async function turn(pids, pid, measure, settleMs = 300) {
  const others = pids.filter((other) => other !== pid);
  for (const other of others) signal(other, 'SIGSTOP');
  await stopped(others);
  if (pid !== undefined) signal(pid, 'SIGCONT');
  await delay(settleMs);
  return measure();
}

/**
 * Waits until each of `pids` has stopped. A SIGSTOP takes effect when its process next runs, and
 * on a busy machine that can take a while: the turn starts once no other target runs. Where
 * Linux's /proc is missing, every process reads as gone, and the stop is taken as done.
 */
async function stopped(pids) {
  for (let waited = 0; ; waited += 1) {
    const running = pids.filter((pid) => !STOPPED_OR_GONE.has(stateOf(pid)));
    if (running.length === 0) return;
    // A hang guard: a stop is a matter of milliseconds even on a loaded machine.
    if (waited >= 10_000) throw new Error(`processes ${running.join(', ')} did not stop`);
    await delay(1);
  }
}

/** /proc states of a process that runs no more: stopped, traced, a zombie, dead; `gone` when it has no /proc entry. */
const STOPPED_OR_GONE = new Set(['T', 't', 'Z', 'X', 'gone']);

/** A process's state letter (Linux /proc/<pid>/stat), or `gone`. */
const stateOf = (pid) => statOf(pid)?.[0] ?? 'gone';

/** Resumes every stopped target (before stopping them: a stopped process does not act on SIGTERM). */
export function resumeAll(pids) {
  for (const pid of pids) signal(pid, 'SIGCONT');
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error; // already gone: its stop() reports that
  }
}
