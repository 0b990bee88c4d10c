/** The server's HTTP transport towards Composio (the body cap, what a failure becomes), against a real HTTP server on loopback. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { createComposioHttp, type ComposioHttp } from '../src/composio/http.js';

let server: LoopbackServer;
let http: ComposioHttp;
beforeAll(async () => {
  server = await startLoopbackServer();
  http = createComposioHttp({ baseUrl: server.url, apiKey: 'k', apiVersion: 'v3', timeoutMs: 5_000, maxResponseBytes: 1000 });
});
afterAll(async () => {
  await http.close();
  await server.close();
});

const read = (id = 'ca_1') => http.getConnectedAccount(id, { requestId: 'req-1' });
const tooLarge = () => expect.objectContaining({ name: 'ApiError', code: 'RESPONSE_TOO_LARGE' });

describe('the body cap', () => {
  it('refuses a body over the limit, announced or streamed, and passes a smaller one on', async () => {
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' }).end('x'.repeat(5000)));
    await expect(read()).rejects.toEqual(tooLarge());
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('"' + 'x'.repeat(800));
      res.end('x'.repeat(800) + '"');
    });
    await expect(read()).rejects.toEqual(tooLarge());
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"connection_id":"ca_1"}'));
    await expect(read()).resolves.toEqual({ connection_id: 'ca_1' });
  });

  it('counts a compressed body as decoded: a small announced length does not let a large body through', async () => {
    const packed = gzipSync(JSON.stringify('x'.repeat(5000)));
    expect(packed.length).toBeLessThan(1000);
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(packed.length) }).end(packed));
    await expect(read()).rejects.toEqual(tooLarge());
    const small = gzipSync('{"connection_id":"ca_1"}');
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(small.length) }).end(small));
    await expect(read()).resolves.toEqual({ connection_id: 'ca_1' });
  });
});

describe('the request and what an answer becomes', () => {
  it('sends the path, the key, the request id, and asks for an unencoded JSON answer', async () => {
    server.requests.length = 0;
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    await read('ca_a/b');
    const sent = server.requests.at(-1)!;
    expect(sent.url).toBe('/api/v3/connected_accounts/ca_a%2Fb');
    expect(sent.headers).toMatchObject({ 'x-api-key': 'k', 'x-request-id': 'req-1', accept: 'application/json', 'accept-encoding': 'identity' });
  });

  it('an error answer is the client ApiError with its status, envelope and Retry-After', async () => {
    server.handle((_req, res) => res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' }).end('{"error":{"message":"slow down","code":429,"slug":"RATE_LIMITED"}}'));
    await expect(read()).rejects.toEqual(expect.objectContaining({ name: 'ApiError', status: 429, code: 'RATE_LIMITED', retryAfterMs: 3000, requestId: 'req-1' }));
    server.handle((_req, res) => res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>down</h1>'));
    await expect(read()).rejects.toEqual(expect.objectContaining({ name: 'ApiError', status: 503, code: 'HTTP_503', envelope: undefined }));
  });

  it('a 2xx that is empty or not JSON is INVALID_RESPONSE; a connection cut is NETWORK_ERROR', async () => {
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('not json'));
    await expect(read()).rejects.toEqual(expect.objectContaining({ name: 'ApiError', code: 'INVALID_RESPONSE' }));
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end());
    await expect(read()).rejects.toEqual(expect.objectContaining({ name: 'ApiError', code: 'INVALID_RESPONSE', status: 200 }));
    server.handle((req) => req.socket.destroy());
    await expect(read()).rejects.toEqual(expect.objectContaining({ name: 'ApiError', code: 'NETWORK_ERROR', status: 0 }));
  });
});

describe("the caller's signal", () => {
  // The transport's own timeout here is 5 s: an abort that did not reach the request would end as
  // TIMEOUT, after it.
  const aborted = () => expect.objectContaining({ name: 'ApiError', code: 'ABORTED' });

  it('aborts a request waiting for its answer, or in the middle of its body, and hangs up on Composio', async () => {
    for (const sendHead of [false, true]) {
      const controller = new AbortController();
      const hungUp = new Promise<void>((resolve) =>
        server.handle((_req, res) => {
          res.on('close', () => resolve());
          if (sendHead) res.writeHead(200, { 'content-type': 'application/json' }).write('{"connection_id":');
          // Aborted once Composio has the request (and, the second time, the head and part of the body).
          setImmediate(() => controller.abort());
        }),
      );
      await expect(http.getConnectedAccount('ca_1', { requestId: 'req-1', signal: controller.signal })).rejects.toEqual(aborted());
      await hungUp;
    }
  });

  it('an aborted signal sends nothing', async () => {
    server.requests.length = 0;
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    await expect(http.getConnectedAccount('ca_1', { requestId: 'req-1', signal: AbortSignal.abort() })).rejects.toEqual(aborted());
    expect(server.requests).toHaveLength(0);
  });
});
