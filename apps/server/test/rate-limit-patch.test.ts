/**
 * The patched express-rate-limit (pnpm-workspace.yaml, patches/): the draft-8 partition key (`pk`)
 * of each rate-limit key is hashed once and remembered (a bounded map), instead of a SHA-256 per
 * limiter per request, the client address is no longer read for a disabled debug line, and the
 * legacy headers leave the `Date` header to Node (which formats it once a second) unless the
 * response will not send one. Fails when the patch stops applying (an upgrade, a changed file);
 * the headers stay what they were.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const dir = path.dirname(require.resolve('express-rate-limit'));

describe('the express-rate-limit patch', () => {
  it('is applied to the installed version, both builds', () => {
    for (const file of ['index.mjs', 'index.cjs']) {
      const source = readFileSync(path.join(dir, file), 'utf8');
      expect(source).toContain('partitionKeys.get(key)');
      expect(source).toContain('if (debug.enabled) debug("request from ip %o", request.ip)');
      expect(source).toContain('if (!response.sendDate) response.setHeader("Date"');
    }
  });

  it('sends the same draft-8 partition key as before, on every request', async () => {
    const app = express();
    app.use(rateLimit({ windowMs: 60_000, limit: 10, identifier: 'per-key', standardHeaders: 'draft-8', legacyHeaders: false, validate: false, keyGenerator: () => 'key:bench' }));
    app.get('/', (_req, res) => res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      // What the unpatched library computes: the first 12 hex digits of the key's SHA-256, in base64.
      const pk = Buffer.from(createHash('sha256').update('key:bench').digest('hex').slice(0, 12)).toString('base64');
      for (let i = 0; i < 3; i += 1) {
        const response = await fetch(url);
        expect(response.headers.get('ratelimit-policy')).toBe(`"per-key"; q=10; w=60; pk=:${pk}:`);
        expect(response.headers.get('ratelimit')).toBe(`"per-key"; r=${9 - i}; t=60`);
      }
    } finally {
      server.close();
    }
  });

  it('leaves the Date header to Node, and sets it when Node will not', async () => {
    for (const sendDate of [true, false]) {
      const set: string[] = [];
      const app = express();
      app.use((_req, res, next) => {
        res.sendDate = sendDate;
        const setHeader = res.setHeader.bind(res);
        res.setHeader = (name, value) => (set.push(name.toLowerCase()), setHeader(name, value));
        next();
      });
      app.use(rateLimit({ windowMs: 60_000, limit: 10, standardHeaders: false, legacyHeaders: true, validate: false, keyGenerator: () => 'key:date' }));
      app.get('/', (_req, res) => res.send('ok'));
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
        expect(set).toContain('x-ratelimit-reset');
        expect(set.includes('date')).toBe(!sendDate);
        // A Date header either way, a valid HTTP date.
        expect(Number.isNaN(Date.parse(response.headers.get('date') ?? ''))).toBe(false);
      } finally {
        server.close();
      }
    }
  });
});
