// The CHANGELOG lines of the published packages (Changesets' `changelog` module, see .changeset/config.json).
// Each entry links to the spec diff that caused it: from the baseline an `npm run spec:breaking --
// --changeset` entry names ("Spec diff from: <sha>"), else from the parent of the commit that
// added the changeset, to that commit, limited to openapi/ (no link when that leaves the specs
// alone). With the option `repository` (a
// GitHub URL) the range is a compare link; without it, the git command that shows it.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// `npm run release:dry` runs Changesets in a copy of the repository: the history is read here.
const root = process.env.CHANGELOG_REPO_ROOT ?? path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

const git = (...args) => {
  try {
    return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};

/** The commit that added `.changeset/<id>.md` (empty while it is not committed). */
const commitOf = (id) => git('log', '--diff-filter=A', '--format=%H', '-1', '--', `.changeset/${id}.md`);

export function specDiffLink(from, to, repository) {
  const short = (sha) => (sha ? sha.slice(0, 7) : 'working tree');
  if (repository && to) return `[spec diff ${short(from)}…${short(to)}](${repository.replace(/\/$/, '')}/compare/${from}...${to})`;
  return `spec diff: \`git diff ${short(from)}${to ? ` ${short(to)}` : ''} -- openapi/\``;
}

export async function getReleaseLine(changeset, _type, options) {
  const [first, ...rest] = changeset.summary.trim().split('\n');
  const fromLine = rest.find((line) => /^Spec diff from: /.test(line));
  const body = rest.filter((line) => line !== fromLine && line.trim() !== '');
  const commit = commitOf(changeset.id) || changeset.commit || '';
  const from = fromLine ? fromLine.replace(/^Spec diff from: /, '').trim() : commit ? git('rev-parse', `${commit}^`) : '';
  // A changeset whose commit leaves the specs alone (a client-only fix) links to nothing.
  const specChanged = fromLine !== undefined || (from !== '' && git('diff', '--name-only', from, commit, '--', 'openapi/') !== '');
  const link = specChanged ? ` (${specDiffLink(from, commit, options?.repository)})` : '';
  return [`- ${first}${link}`, ...body.map((line) => `  ${line.replace(/^\s*/, '')}`)].join('\n');
}

export async function getDependencyReleaseLine(_changesets, dependenciesUpdated) {
  // The client has no workspace dependencies at run time; the hooks package depends on the client.
  if (!dependenciesUpdated || dependenciesUpdated.length === 0) return '';
  return `- Updated dependencies: ${dependenciesUpdated.map((dep) => `${dep.name}@${dep.newVersion}`).join(', ')}`;
}

export default { getReleaseLine, getDependencyReleaseLine };
