/** The server's cap on Composio bodies, against a real HTTP server on loopback (moved here from the client package). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { startLoopbackServer, type LoopbackServer } from '@connector-credentials/testkit';
import { cappedFetch } from '../src/composio/body.js';

let server: LoopbackServer;
beforeAll(async () => {
  server = await startLoopbackServer();
});
afterAll(() => server.close());

const fetchCapped = cappedFetch(1000);
const tooLarge = () => expect.objectContaining({ name: 'ApiError', code: 'RESPONSE_TOO_LARGE' });

describe('cappedFetch', () => {
  it('refuses a body over the limit, announced or streamed, and passes a smaller one on', async () => {
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' }).end('x'.repeat(5000)));
    await expect(fetchCapped(new Request(server.url))).rejects.toEqual(tooLarge());
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('"' + 'x'.repeat(800));
      res.end('x'.repeat(800) + '"');
    });
    await expect(fetchCapped(new Request(server.url))).rejects.toEqual(tooLarge());
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"connection_id":"ca_1"}'));
    await expect((await fetchCapped(new Request(server.url))).json()).resolves.toEqual({ connection_id: 'ca_1' });
  });

  it('counts a compressed body as decoded: a small announced length does not let a large body through', async () => {
    const packed = gzipSync(JSON.stringify('x'.repeat(5000)));
    expect(packed.length).toBeLessThan(1000);
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(packed.length) }).end(packed));
    await expect(fetchCapped(new Request(server.url))).rejects.toEqual(tooLarge());
    const small = gzipSync('{"connection_id":"ca_1"}');
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(small.length) }).end(small));
    await expect((await fetchCapped(new Request(server.url))).json()).resolves.toEqual({ connection_id: 'ca_1' });
  });
});
