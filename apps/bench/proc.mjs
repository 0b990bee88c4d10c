// What Linux's /proc says of a process, for the benchmark's readings of its targets: the one reader
// of /proc (state, CPU time, resident memory).
import { readFileSync } from 'node:fs';

/**
 * The fields of `/proc/<pid>/stat` after the command name, the state letter first (`fields[0]`),
 * user and system CPU ticks at 11 and 12; undefined when the process has no entry (it is gone, or
 * there is no /proc).
 */
export function statOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return undefined;
  }
}

/**
 * The CPU time a process has spent (user + system, every thread), in ms, from Linux /proc (clock
 * ticks of 10 ms); NaN elsewhere.
 */
export function cpuMsOf(pid) {
  const fields = statOf(pid);
  return fields === undefined ? Number.NaN : (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident memory of a process, in bytes (Linux /proc). */
export function rssOf(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}
