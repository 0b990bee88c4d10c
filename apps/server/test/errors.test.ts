/** The one renderer: an unexpected exception leaves as a 500 in the envelope, its text kept out of the answer. */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpecValidator, openapiBundlePath } from '@connector-credentials/testkit';
import { ApiError } from '@connector-credentials/client';
import { translateUpstreamError } from '../src/composio/translate.js';
import { AppError, ERROR_KINDS, errorAnswer, errorRenderer, toAppError } from '../src/errors.js';
import { createLogger, requestLogger } from '../src/logging.js';
import { LogCapture } from './helpers.js';

const aitronos = createSpecValidator(openapiBundlePath('aitronos'));
const logs = new LogCapture();
let url: string;
let close: () => void;

beforeAll(async () => {
  // A real Express app with the server's own logging and renderer, and routes that fail.
  const logger = createLogger('info', logs);
  const app = express();
  app.use(requestLogger(logger));
  app.get('/throws', () => {
    throw new Error('database password is hunter2');
  });
  app.get('/rejects', async () => {
    await Promise.resolve();
    throw new TypeError('cannot read secret-token-123');
  });
  app.get('/app-error', (_req, _res, next) => next(new AppError('UPSTREAM_TIMEOUT', { details: { timeout_ms: 5 } })));
  app.use(errorRenderer(logger));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

describe('errorRenderer', () => {
  it.each(['/throws', '/rejects'])('%s -> 500 INTERNAL_ERROR in the envelope, the exception text only in the log', async (path) => {
    const response = await fetch(`${url}${path}`, { headers: { 'X-Request-Id': `trace${path.replace('/', '-')}` } });
    const text = await response.text();
    expect(response.status).toBe(500);
    const body = JSON.parse(text);
    expect(body.error).toMatchObject({ code: 'INTERNAL_ERROR', status: 500, type: 'server_error', trace_id: `trace${path.replace('/', '-')}` });
    expect(aitronos.validateSchema('ErrorEnvelope', body).errors).toEqual([]);
    expect(text).not.toMatch(/hunter2|secret-token-123|stack|at /);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const logged = logs.records().find((r) => r.trace_id === `trace${path.replace('/', '-')}` && r.level === 50);
    expect(logged?.err).toBeDefined();
  });

  it('renders an AppError with its own status, code and details', async () => {
    const response = await fetch(`${url}/app-error`);
    expect(response.status).toBe(504);
    expect((await response.json()).error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', details: { timeout_ms: 5 } });
  });

  it('renders every code as an envelope and headers the spec accepts', () => {
    for (const code of Object.keys(ERROR_KINDS) as Array<keyof typeof ERROR_KINDS>) {
      const answer = errorAnswer(new AppError(code, { retryAfterSeconds: 3 }), 'trace-1');
      expect(answer.status, code).toBe(ERROR_KINDS[code].status);
      expect(aitronos.validateSchema('ErrorEnvelope', JSON.parse(answer.body)).errors, code).toEqual([]);
      expect(answer.headers, code).toMatchObject({ 'Cache-Control': 'no-store', 'X-Request-Id': 'trace-1', 'Retry-After': '3' });
      expect(Number(answer.headers['Content-Length']), code).toBe(Buffer.byteLength(answer.body));
    }
  });

  it('maps validator and parser errors by status', () => {
    expect(toAppError({ status: 400, errors: [{ path: '/params/credential_id', message: 'must match pattern' }] }).code).toBe('VALIDATION_ERROR');
    expect(toAppError({ status: 404 }).code).toBe('ROUTE_NOT_FOUND');
    expect(toAppError({ status: 405 }).code).toBe('METHOD_NOT_ALLOWED');
    expect(toAppError({ status: 413 }).code).toBe('PAYLOAD_TOO_LARGE');
    // Another library's refusal of the request is the caller's, never a fault of the server's.
    for (const status of [412, 416, 418]) expect(toAppError({ status }).status).toBe(400);
    expect(toAppError(undefined).code).toBe('INTERNAL_ERROR');
    expect(toAppError('a string').code).toBe('INTERNAL_ERROR');
  });
});

describe('a connection id Composio refuses as malformed', () => {
  it('is a 400 naming where the caller sent it: the path of a read, the body of a registration', () => {
    const refused = new ApiError({ status: 400, code: 'HTTP_400', message: 'bad id', requestId: 'r' });
    const context = { timeoutMs: 1, defaultRetryAfterSeconds: 1, retryAfterOpenSeconds: 1, connectionId: 'ca_1' };
    const errorsOf = (from?: 'path' | 'body') => translateUpstreamError(refused, { ...context, connectionIdFrom: from }).details.errors;
    expect(errorsOf()).toEqual([{ location: 'path', path: '/params/connection_id', message: 'is not a valid Composio connected-account id' }]);
    expect(errorsOf('body')).toEqual([{ location: 'body', path: '/body/connection_id', message: 'is not a valid Composio connected-account id' }]);
  });
});
