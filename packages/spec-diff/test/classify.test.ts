/**
 * Fixture pairs: base.yaml is the "before" of each, test/fixtures/<case>.yaml its "after". Each
 * change is classified as a client of the API sees it, and the gate fails only on breaking ones.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { diffSpecs, judge, majorOf } from '../src/classify.ts';

const fixture = (name: string) => parse(readFileSync(new URL(`./fixtures/${name}.yaml`, import.meta.url), 'utf8')) as Record<string, unknown>;
const base = fixture('base');

describe('fixture pairs', () => {
  it.each([
    ['removed-response-field', 'account_email'],
    ['narrowed-type', 'expires_in'],
    ['removed-enum-value', 'status'],
    ['new-required-parameter', 'tenant'],
    ['removed-status-code', '404'],
  ])('%s is breaking and names the change', (name, named) => {
    const verdict = judge(base, fixture(name));
    expect(verdict.breaking).toBeGreaterThan(0);
    expect(verdict.fails).toBe(true);
    const breaking = verdict.changes.filter((c) => c.kind === 'breaking');
    expect(breaking.some((c) => `${c.description} ${c.pointer}`.includes(named))).toBe(true);
  });

  it('a description edit is an annotation only', () => {
    const changes = diffSpecs(base, fixture('description-edit'));
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((c) => c.kind === 'annotation')).toBe(true);
    expect(judge(base, fixture('description-edit')).fails).toBe(false);
  });

  it('a new optional response field is non-breaking', () => {
    const changes = diffSpecs(base, fixture('new-optional-field'));
    expect(changes.map((c) => c.kind)).toEqual(['non-breaking']);
    expect(changes[0]!.pointer).toMatch(/properties\/nickname$/);
    expect(judge(base, fixture('new-optional-field')).fails).toBe(false);
  });

  it('identical specs have no changes', () => {
    expect(diffSpecs(base, fixture('base'))).toEqual([]);
  });
});

describe('the version rule', () => {
  it('a breaking change passes when info.version gets a new major', () => {
    const after = fixture('removed-response-field');
    (after.info as { version: string }).version = '2.0.0';
    const verdict = judge(base, after);
    expect(verdict.breaking).toBeGreaterThan(0);
    expect(verdict.majorBumped).toBe(true);
    expect(verdict.fails).toBe(false);
  });

  it('a minor bump does not excuse a breaking change', () => {
    const after = fixture('removed-status-code');
    (after.info as { version: string }).version = '1.1.0';
    expect(judge(base, after).fails).toBe(true);
  });

  it('reads the major of info.version', () => {
    expect(majorOf({ info: { version: '3.2.1' } })).toBe(3);
    expect(majorOf({ info: { version: 'v2' } })).toBe(2);
    expect(majorOf({})).toBe(0);
  });
});

describe('what each change is called', () => {
  const descriptions = (name: string) => diffSpecs(base, fixture(name)).map((c) => `${c.kind}: ${c.description}`);

  it('names the operation, the response and the field', () => {
    expect(descriptions('removed-response-field')).toEqual([
      'breaking: GET /accounts/{id}: response 200 application/json: `account_email` no longer required',
      'breaking: GET /accounts/{id}: response 200 application/json: field `account_email` removed',
    ]);
    expect(descriptions('narrowed-type')).toEqual(['breaking: GET /accounts/{id}: response 200 application/json: type `null` removed from `expires_in`']);
    expect(descriptions('removed-enum-value')).toEqual(['breaking: GET /accounts/{id}: response 200 application/json: enum value FAILED removed from `status`']);
    expect(descriptions('new-required-parameter')).toEqual(['breaking: GET /accounts/{id}: required query parameter `tenant` added']);
    expect(descriptions('removed-status-code')).toEqual(['breaking: GET /accounts/{id}: response 404 removed']);
    expect(descriptions('description-edit')).toEqual(['annotation: GET /accounts/{id}: response 200 application/json: description of `account_email` changed']);
  });
});

describe('requests mirror responses', () => {
  const withQuery = (schema: Record<string, unknown>, required = false) => {
    const doc = fixture('base');
    const op = (doc.paths as Record<string, { get: { parameters: unknown[] } }>)['/accounts/{id}']!.get;
    op.parameters.push({ name: 'sort', in: 'query', required, schema });
    return doc;
  };

  it('a request enum value removed breaks, one added does not', () => {
    const before = withQuery({ type: 'string', enum: ['asc', 'desc'] });
    expect(diffSpecs(before, withQuery({ type: 'string', enum: ['asc'] })).map((c) => c.kind)).toEqual(['breaking']);
    expect(diffSpecs(before, withQuery({ type: 'string', enum: ['asc', 'desc', 'none'] })).map((c) => c.kind)).toEqual(['non-breaking']);
  });

  it('an optional parameter made required breaks; a new constraint on a request breaks', () => {
    expect(diffSpecs(withQuery({ type: 'string' }), withQuery({ type: 'string' }, true)).map((c) => c.kind)).toEqual(['breaking']);
    expect(diffSpecs(withQuery({ type: 'string' }), withQuery({ type: 'string', maxLength: 4 })).map((c) => c.kind)).toEqual(['breaking']);
  });

  it('reordering enum values, required names or parameters is no change', () => {
    const before = withQuery({ type: 'string', enum: ['asc', 'desc'] });
    expect(diffSpecs(before, withQuery({ type: 'string', enum: ['desc', 'asc'] }))).toEqual([]);
  });
});
