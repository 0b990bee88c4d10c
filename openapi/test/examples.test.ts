/**
 * A mock answer is one example body with its response's header examples (Prism and the MSW mocks
 * send both): they must tell the same story. An error example's `retry_after_seconds` is its
 * response's `Retry-After`, and its `trace_id` the `X-Request-Id`.
 */
import { describe, expect, it } from 'vitest';
import { createSpecValidator, openapiBundlePath } from '@connector-credentials/testkit';

const aitronos = createSpecValidator(openapiBundlePath('aitronos'));

describe('the examples of a response agree with its headers', () => {
  it("an error example's retry_after_seconds is the Retry-After example, its trace_id the X-Request-Id example", () => {
    let checked = 0;
    for (const { method, path, status, name, value } of aitronos.responseExamples()) {
      const error = (value as { error?: { trace_id?: string; details?: { retry_after_seconds?: number } } }).error;
      if (error === undefined) continue;
      const headers = aitronos.responseHeaders(method, path, status);
      const where = `${method.toUpperCase()} ${path} ${status} ${name}`;
      if (headers['retry-after'] !== undefined) {
        expect(error.details?.retry_after_seconds, where).toBe(headers['retry-after'].example);
        checked += 1;
      }
      if (headers['x-request-id'] !== undefined) expect(error.trace_id, where).toBe(headers['x-request-id'].example);
    }
    expect(checked).toBeGreaterThan(0);
  });
});
