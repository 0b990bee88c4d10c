/**
 * A mock answer is one example body with its response's header examples (Prism and the MSW mocks
 * send both): they must tell the same story. An error example's `retry_after_seconds` is its
 * response's `Retry-After`, and its `trace_id` the `X-Request-Id`.
 */
import { describe, expect, it } from 'vitest';
import { createSpecValidator, openapiBundlePath } from '@connector-credentials/testkit';

const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const document = aitronos.document as { components: { headers?: Record<string, { example?: unknown }> } };

/** A header's example, through its `$ref`. */
function headerExample(header: unknown): unknown {
  const ref = (header as { $ref?: string }).$ref;
  const resolved = ref ? document.components.headers?.[ref.split('/').at(-1)!] : (header as { example?: unknown });
  return resolved?.example;
}

/** Every response of every operation with its headers and named examples. */
function responses() {
  const out: Array<{ where: string; headers: Record<string, unknown>; examples: Array<[string, unknown]> }> = [];
  const paths = aitronos.document.paths as Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  const named = aitronos.responseExamples();
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      for (const status of Object.keys(operation.responses ?? {})) {
        let response = operation.responses![status] as { $ref?: string; headers?: Record<string, unknown> };
        if (response.$ref) response = (aitronos.document.components as { responses: Record<string, typeof response> }).responses[response.$ref.split('/').at(-1)!]!;
        const examples = named.filter((e) => e.path === path && e.method === method && e.status === status).map((e) => [e.name, e.value] as [string, unknown]);
        out.push({ where: `${method.toUpperCase()} ${path} ${status}`, headers: response.headers ?? {}, examples });
      }
    }
  }
  return out;
}

describe('the examples of a response agree with its headers', () => {
  it("an error example's retry_after_seconds is the Retry-After example, its trace_id the X-Request-Id example", () => {
    let checked = 0;
    for (const { where, headers, examples } of responses()) {
      for (const [name, value] of examples) {
        const error = (value as { error?: { trace_id?: string; details?: { retry_after_seconds?: number } } }).error;
        if (error === undefined) continue;
        if (headers['Retry-After'] !== undefined) {
          expect(error.details?.retry_after_seconds, `${where} ${name}`).toBe(headerExample(headers['Retry-After']));
          checked += 1;
        }
        if (headers['X-Request-Id'] !== undefined) expect(error.trace_id, `${where} ${name}`).toBe(headerExample(headers['X-Request-Id']));
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
