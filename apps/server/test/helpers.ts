import { Writable } from 'node:stream';
import { createAitronosClient, type AitronosClient } from '@connector-credentials/client';
import { pgliteDataDir, type LoopbackServer } from '@connector-credentials/testkit';
import { sha256Hex } from '../src/auth.js';
import type { ComposioRequestHook } from '../src/composio/http.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logging.js';
import { startServer, type RunningServer } from '../src/server.js';

/** Raw test keys; the server only ever sees their digests. */
export const KEYS = {
  adminApi: { name: 'admin-api', header: 'X-API-Key', key: 'test-admin-api-key-6f1c9a', roles: ['admin'] },
  adminFlowplate: { name: 'admin-flowplate', header: 'X-Flowplate-Key', key: 'test-admin-flowplate-key-2b7d', roles: ['admin'] },
  adminHub: { name: 'admin-hub', header: 'X-Aitronos-Hub-Key', key: 'test-admin-hub-key-9e4a', roles: ['admin'] },
  readerApi: { name: 'reader-api', header: 'X-API-Key', key: 'test-reader-api-key-1a2b', roles: ['reader'] },
  readerFlowplate: { name: 'reader-flowplate', header: 'X-Flowplate-Key', key: 'test-reader-flowplate-key-3c4d', roles: ['reader'] },
  readerHub: { name: 'reader-hub', header: 'X-Aitronos-Hub-Key', key: 'test-reader-hub-key-5e6f', roles: [] },
  connectionsApi: { name: 'connections-api', header: 'X-API-Key', key: 'test-connections-api-key-7a8b', roles: ['connections'] },
} as const;

export const COMPOSIO_TEST_KEY = 'composio-test-key-a8f3e1';

export const API_KEYS_JSON = JSON.stringify(
  Object.values(KEYS).map(({ name, header, key, roles }) => ({ name, header, sha256: sha256Hex(key), roles })),
);

/** Every log line the server writes, kept in memory. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface TestServer {
  running: RunningServer;
  logs: LogCapture;
  /** A client with the admin X-API-Key. */
  admin: AitronosClient;
  close(): Promise<void>;
}

/** The rate limit a 429 names in its system message (`per-address`, `per-key`); null for any other answer. */
export function refusingLimit(status: number, body: { error?: { system_message?: string | undefined } | undefined }): string | null {
  return status === 429 ? (/Rate limit (\S+) exceeded/.exec(body.error?.system_message ?? '')?.[1] ?? null) : null;
}

export async function startTestServer(options: {
  composioBaseUrl: string;
  env?: Record<string, string>;
  onComposioRequest?: ComposioRequestHook;
  /** The registry's clock (tests move it through the window of unverified entries). */
  registryClock?: () => number;
}): Promise<TestServer> {
  // The registry in PGlite, new for every server: a copy of an empty cluster (see pgliteDataDir;
  // suites that need PostgreSQL, or test initdb, say so).
  const data = options.env?.DATA_DIR || options.env?.DATABASE_URL ? undefined : await pgliteDataDir();
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    COMPOSIO_BASE_URL: options.composioBaseUrl,
    COMPOSIO_API_KEY: COMPOSIO_TEST_KEY,
    COMPOSIO_RETRIES: '0',
    API_KEYS: API_KEYS_JSON,
    // Functional suites send many requests and many upstream failures on purpose; the limits and
    // the circuit breaker have suites of their own.
    RATE_LIMIT_PER_KEY: '1000000',
    RATE_LIMIT_PER_ADDRESS: '1000000',
    BREAKER_THRESHOLD: '1000000',
    // They also change the stand-in's answer for one id from test to test: no cache (it has a suite too).
    CACHE_TTL_MS: '0',
    ...(data && { DATA_DIR: data.dir }),
    // Fault suites expect each failure to show; stale-if-error has tests of its own.
    STALE_IF_ERROR: 'false',
    ...options.env,
  });
  const logs = new LogCapture();
  const running = await startServer(config, {
    // The production logger, redaction included, writing to memory.
    logger: createLogger('info', logs),
    ...(options.onComposioRequest ? { onComposioRequest: options.onComposioRequest } : {}),
    ...(options.registryClock ? { registryClock: options.registryClock } : {}),
  }).catch((error: unknown) => {
    data?.remove();
    throw error;
  });
  const admin = createAitronosClient({ baseUrl: running.url, apiKey: KEYS.adminApi.key, retry: { retries: 0 } });
  return {
    running,
    logs,
    admin,
    async close() {
      await running.close();
      data?.remove();
    },
  };
}

/**
 * The contract tests' hook on the server's requests to Composio: a credential id
 * `scenario--NAME` makes Prism answer with its example NAME; `status--CODE` with its CODE response.
 */
export const preferFromCredentialId: ComposioRequestHook = (path, headers) => {
  const id = decodeURIComponent(path.split('/').pop() ?? '');
  const scenario = /^scenario--(\w+)$/.exec(id)?.[1];
  const status = /^status--(\d{3})$/.exec(id)?.[1];
  if (scenario) headers.Prefer = `example=${scenario}`;
  if (status) headers.Prefer = `code=${status}`;
};

/**
 * Makes a loopback stand-in answer `GET …/connected_accounts/{id}` as Composio does: the account
 * `accountOf(id)` gives, under that id, or Composio's 404 envelope when it gives none.
 */
export function answerAccounts(upstream: LoopbackServer, accountOf: (id: string) => object | undefined): void {
  upstream.handle((req, res) => {
    const id = decodeURIComponent(req.url!.split('?')[0]!.split('/').pop()!);
    const account = accountOf(id);
    if (account === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Connected account not found', code: 404, status: 404, slug: 'not_found' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...account, id }));
  });
}
