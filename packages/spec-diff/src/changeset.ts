// The link between the spec gate and the client's releases (Changesets, .changeset/): a breaking
// spec change needs a pending major changeset of the client, and `--changeset` writes the
// changeset that the spec changes since the baseline call for.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GateVerdict } from './classify.js';

export const CLIENT_PACKAGE = '@connector-credentials/client';
const BUMPS = ['patch', 'minor', 'major'] as const;
export type Bump = (typeof BUMPS)[number];

/** Whether the repository releases with Changesets (it has .changeset/config.json). */
export const usesChangesets = (root: string) => existsSync(path.join(root, '.changeset', 'config.json'));

/** The largest bump of the client among the pending changesets. */
export function pendingClientBump(root: string): Bump | undefined {
  const dir = path.join(root, '.changeset');
  let highest: Bump | undefined;
  for (const file of existsSync(dir) ? readdirSync(dir) : []) {
    if (!file.endsWith('.md') || file === 'README.md') continue;
    const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(path.join(dir, file), 'utf8'))?.[1] ?? '';
    for (const line of front.split('\n')) {
      const match = /^\s*["']?([^"':]+)["']?\s*:\s*(patch|minor|major)\s*$/.exec(line);
      if (match?.[1] === CLIENT_PACKAGE && (highest === undefined || BUMPS.indexOf(match[2] as Bump) > BUMPS.indexOf(highest))) highest = match[2] as Bump;
    }
  }
  return highest;
}

/** The bump that a set of spec changes calls for (undefined: nothing changed). */
export function bumpFor(verdicts: Record<string, GateVerdict>): Bump | undefined {
  const changes = Object.values(verdicts).flatMap((v) => v.changes);
  if (changes.length === 0) return undefined;
  if (changes.some((c) => c.kind === 'breaking')) return 'major';
  if (changes.some((c) => c.kind === 'non-breaking')) return 'minor';
  return 'patch';
}

/** Writes `.changeset/spec-changes-<sha>.md` for the spec changes since `fromSha`; returns its path. */
export function writeSpecChangeset(root: string, fromSha: string, verdicts: Record<string, GateVerdict>): string | undefined {
  const bump = bumpFor(verdicts);
  if (!bump) return undefined;
  const counts = Object.entries(verdicts)
    .filter(([, v]) => v.changes.length > 0)
    .map(([api, v]) => `${api} ${v.versionBefore === v.versionAfter ? v.versionAfter : `${v.versionBefore} -> ${v.versionAfter}`}: ${['breaking', 'non-breaking', 'annotation'].map((k) => `${v.changes.filter((c) => c.kind === k).length} ${k}`).join(', ')}`);
  const lines = Object.entries(verdicts).flatMap(([api, v]) => v.changes.map((c) => `- ${api}, ${c.kind}: ${c.description}`));
  const file = path.join(root, '.changeset', `spec-changes-${fromSha.slice(0, 7)}.md`);
  writeFileSync(file, `---\n"${CLIENT_PACKAGE}": ${bump}\n---\n\nSpec changes (${counts.join('; ')})\n\n${lines.join('\n')}\n\nSpec diff from: ${fromSha}\n`);
  return file;
}
