/**
 * The patched express-openapi-validator (pnpm-workspace.yaml, patches/): route matchers are compiled
 * once per route, as upstream cdimascio/express-openapi-validator#1217 does, instead of on every
 * request, and a route's schemas are looked up only for the route that matches; a parameter's
 * name and schema are normalized once, not asked of Ajv on every request; and a request without a
 * query string is not parsed by the legacy `url.parse` for one. Fails when the patch stops
 * applying (an upgrade, a changed file), so the speed-up is never lost quietly; drop a part once a
 * release carries it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { describe, expect, it, vi } from 'vitest';

const require = createRequire(import.meta.url);
const validatorDir = path.dirname(require.resolve('express-openapi-validator/package.json'));

describe('the express-openapi-validator patch', () => {
  it('is applied to the installed version', () => {
    const source = readFileSync(path.join(validatorDir, 'dist', 'middlewares', 'openapi.metadata.js'), 'utf8');
    expect(source).toContain('cdimascio/express-openapi-validator#1217');
    expect(source).toContain('matcherOf(expressRoute, pathOpts)');
    expect(source).toContain("a route's schemas only");
    const util = readFileSync(path.join(validatorDir, 'dist', 'middlewares', 'parsers', 'util.js'), 'utf8');
    expect(util).toContain('normalizeParameterOnce(ajv, parameter)');
    // and a request without a query string skips the legacy URL parse that would find none.
    const mutator = readFileSync(path.join(validatorDir, 'dist', 'middlewares', 'parsers', 'req.parameter.mutator.js'), 'utf8');
    expect(mutator).toContain("req.originalUrl.includes('?') ? url.parse(req.originalUrl).query : null");
  });

  /** Express with the validator alone on `spec`, answering GETs of `route`; `run` gets its URL. */
  async function withValidator(spec: Record<string, unknown>, route: string, run: (url: string) => Promise<void>) {
    const app = express();
    app.use(OpenApiValidator.middleware({ apiSpec: spec as never, validateRequests: true, validateResponses: false }));
    app.get(route, (_req, res) => void res.json({ ok: true }));
    app.use(((error, _req, res, _next) => void res.status((error as { status?: number }).status ?? 500).json({})) as ErrorRequestHandler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    try {
      await run(`http://127.0.0.1:${port}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('compiles each route matcher once, however many requests', async () => {
    const pathToRegexp = require(require.resolve('path-to-regexp', { paths: [validatorDir] })) as { pathToRegexp: (...args: unknown[]) => unknown };
    const spy = vi.spyOn(pathToRegexp, 'pathToRegexp');
    const spec = {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: Object.fromEntries(
        ['/a/{id}', '/b/{id}', '/c/{id}'].map((p) => [p, { get: { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'ok' } } } }]),
      ),
    };
    try {
      await withValidator(spec, '/c/:id', async (url) => {
        for (let i = 0; i < 20; i += 1) expect((await fetch(`${url}/c/${i}`)).status).toBe(200);
      });
      const lookups = spy.mock.calls.filter(([route]) => typeof route === 'string' && /^\/[abc]\/:id$/.test(route)).length;
      // Compiled (the spy sees the validator's calls), at most once per spec route (3), not once
      // per route per request (up to 60).
      expect(lookups).toBeGreaterThan(0);
      expect(lookups).toBeLessThanOrEqual(3);
    } finally {
      spy.mockRestore();
    }
  });

  it("asks Ajv for a parameter's referenced schema once, however many requests, and still checks it", async () => {
    const Ajv = (require(require.resolve('ajv/dist/core', { paths: [validatorDir] })) as { default: { prototype: { getSchema: (ref: string) => unknown } } }).default;
    const spy = vi.spyOn(Ajv.prototype, 'getSchema');
    const spec = {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: { '/c/{id}': { get: { parameters: [{ $ref: '#/components/parameters/Id' }], responses: { 200: { description: 'ok' } } } } },
      components: {
        parameters: { Id: { name: 'id', in: 'path', required: true, schema: { $ref: '#/components/schemas/Id' } } },
        schemas: { Id: { type: 'string', pattern: '^c_[0-9]+$' } },
      },
    };
    try {
      await withValidator(spec, '/c/:id', async (url) => {
        for (let i = 0; i < 20; i += 1) expect((await fetch(`${url}/c/c_${i}`)).status).toBe(200);
        expect((await fetch(`${url}/c/nope`)).status).toBe(400);
      });
      const asked = spy.mock.calls.filter(([ref]) => ref === '#/components/schemas/Id').length;
      // Asked (the spy sees the validator's calls), once per Ajv instance that needs it, not once
      // per request (21).
      expect(asked).toBeGreaterThan(0);
      expect(asked).toBeLessThanOrEqual(3);
    } finally {
      spy.mockRestore();
    }
  });
});
