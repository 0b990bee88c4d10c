/**
 * arethetypeswrong on a packed tarball, as the published packages are checked: the `esm-only`
 * profile (the packages are ESM-only by design), so what it finds for CommonJS resolutions
 * (`node16-cjs`, `node10`) does not count.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export interface AttwVerdict {
  /** Where the package's types come from: `included` when it ships its own. */
  typesKind: string;
  /** The problems the profile counts; none for a clean package. */
  problems: Array<{ kind?: string; resolutionKind?: string }>;
}

export function attw(tarball: string): AttwVerdict {
  const cli = path.join(path.dirname(require.resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js');
  let output: string;
  try {
    output = execFileSync(process.execPath, [cli, tarball, '--profile', 'esm-only', '--format', 'json'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    // It exits non-zero when it finds a problem the profile counts; its JSON is still on stdout.
    output = String((error as { stdout?: unknown }).stdout ?? '');
    if (output === '') throw error;
  }
  const { analysis, problems } = JSON.parse(output) as {
    analysis: { types: { kind: string } };
    problems: Record<string, Array<{ kind?: string; resolutionKind?: string }>>;
  };
  return {
    typesKind: analysis.types.kind,
    problems: Object.values(problems)
      .flat()
      .filter((p) => p.resolutionKind !== 'node16-cjs' && p.resolutionKind !== 'node10'),
  };
}
