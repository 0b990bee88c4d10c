// What Linux's /proc says of a process, for the benchmark's readings of its targets.
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
