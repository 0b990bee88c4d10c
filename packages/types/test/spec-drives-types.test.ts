/**
 * The spec is the source of truth for the types: change a field's type in the Aitronos spec,
 * regenerate, and code that uses the field no longer compiles.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import openapiTS, { astToString } from 'openapi-typescript';
import { openapiBundlePath } from '@connector-credentials/testkit';

const require = createRequire(import.meta.url);
const tsc = path.join(path.dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
const work = mkdtempSync(path.join(tmpdir(), 'spec-types-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const usage = `
import type { components } from './generated.js';
type ConnectorCredentials = components['schemas']['ConnectorCredentials'];
export function describeCredentials(c: ConnectorCredentials): string {
  const redacted: boolean = c.is_redacted;
  return redacted ? 'masked' : c.connection_id;
}
`;

async function compileAgainst(spec: Record<string, unknown>, name: string): Promise<string> {
  const dir = path.join(work, name);
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(path.join(dir, 'generated.ts'), astToString(await openapiTS(spec as never)));
  writeFileSync(path.join(dir, 'usage.ts'), usage);
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', 'usage.ts'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: 'pipe',
    });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout);
  }
}

describe('types follow the spec', () => {
  const bundle = JSON.parse(readFileSync(openapiBundlePath('aitronos'), 'utf8'));

  it('code using a field compiles against the spec as it is', async () => {
    expect(await compileAgainst(bundle, 'as-is')).toBe('');
  });

  it('the same code fails to compile once the field changes type in the spec', async () => {
    const changed = structuredClone(bundle);
    changed.components.schemas.ConnectorCredentials.properties.is_redacted.type = 'string';
    const output = await compileAgainst(changed, 'changed');
    expect(output).toMatch(/usage\.ts\(5,\d+\): error TS2322: Type 'string' is not assignable to type 'boolean'/);
  });

});
