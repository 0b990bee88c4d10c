import type { GateVerdict, SpecChange } from './classify.js';

const ORDER: SpecChange['kind'][] = ['breaking', 'non-breaking', 'annotation'];

/** The gate's report on one API, every change on its own line, breaking ones first. */
export function formatVerdict(api: string, verdict: GateVerdict, gated: boolean): string {
  const count = (kind: SpecChange['kind']) => verdict.changes.filter((c) => c.kind === kind).length;
  const version = verdict.versionBefore === verdict.versionAfter ? verdict.versionAfter : `${verdict.versionBefore} -> ${verdict.versionAfter}`;
  const lines = [`${api} (info.version ${version}): ${ORDER.map((k) => `${count(k)} ${k}`).join(', ')}`];
  for (const kind of ORDER) {
    for (const change of verdict.changes.filter((c) => c.kind === kind)) {
      lines.push(`  ${kind.padEnd(12)} ${change.description}`);
    }
  }
  if (verdict.fails && gated) {
    lines.push(`  FAIL: ${verdict.breaking} breaking change(s) and info.version's major did not change (${verdict.versionAfter}): bump it, and release the client as a major (a changeset of type major).`);
  } else if (verdict.breaking > 0 && !gated) {
    lines.push('  (not gated: this spec describes a vendor API we do not control)');
  }
  return lines.join('\n');
}
