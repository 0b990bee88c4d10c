// Which target runs while the benchmark measures: one at a time on the servers' core.
import { setTimeout as delay } from 'node:timers/promises';

/**
 * A target takes its turn: every other target's process is stopped (SIGSTOP) and this one runs
 * (SIGCONT; with `pid` undefined, none does), then `settleMs` pass before `measure()` runs.
 * An idle server still spends CPU (V8's concurrent GC after a burst of load, its JIT's compiler
 * threads), and on the shared core that work would land on whichever row is measured next;
 * stopped, it waits for the process's own next turn and is counted there. The settle lets a
 * resumed process handle what arrived while it was stopped (closed keep-alive sockets, due
 * timers) before the load starts.
 */
export async function turn(pids, pid, measure, settleMs = 300) {
  for (const other of pids) if (other !== pid) signal(other, 'SIGSTOP');
  if (pid !== undefined) signal(pid, 'SIGCONT');
  await delay(settleMs);
  return measure();
}

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
