import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import addFormatsModule from 'ajv-formats';
import { ApiError, type ComposioClient } from '@connector-credentials/client';
import type { ConnectedAccount } from '@connector-credentials/types';
import { AppError } from './errors.js';
import type { Metrics } from './metrics.js';
import { loadComposioSpec } from './specs.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

export interface GatewayOptions {
  client: ComposioClient;
  /** Deadline of one read, retries included. */
  timeoutMs: number;
  /** Retry-After to give callers when Composio rate limits without one. */
  defaultRetryAfterSeconds: number;
  /** After `threshold` consecutive failed reads, stop calling Composio for `halfOpenAfterMs`, then let one probe through. */
  breaker: { threshold: number; halfOpenAfterMs: number };
  metrics?: Metrics;
}

export interface ReadOptions {
  /** Sent on to Composio as X-Request-Id. */
  requestId: string;
}

/** Validates Composio bodies against our hand-written Composio spec, compiled once. */
function compileAccountValidator(): ValidateFunction {
  const spec = loadComposioSpec();
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  addFormats(ajv);
  ajv.addSchema({ ...spec, $id: 'composio' });
  return ajv.compile({ $ref: 'composio#/components/schemas/ConnectedAccount' });
}

function retryAfterSeconds(error: ApiError, fallback: number): number {
  return error.retryAfterMs !== undefined ? Math.ceil(error.retryAfterMs / 1000) : fallback;
}

/** Composio's failures, as the API's own errors. No upstream body or key is ever echoed. */
export function translateUpstreamError(error: unknown, options: { deadlineHit: boolean; timeoutMs: number; defaultRetryAfterSeconds: number; credentialId: string }): AppError {
  if (options.deadlineHit) {
    return new AppError('UPSTREAM_TIMEOUT', {
      systemMessage: `No answer from Composio within ${options.timeoutMs} ms`,
      details: { timeout_ms: options.timeoutMs },
      cause: error,
    });
  }
  if (!(error instanceof ApiError)) {
    return new AppError('UPSTREAM_ERROR', { systemMessage: 'Calling Composio failed', cause: error });
  }
  const upstream = error.status;
  switch (true) {
    case error.code === 'TIMEOUT':
      return new AppError('UPSTREAM_TIMEOUT', {
        systemMessage: `No answer from Composio within ${options.timeoutMs} ms`,
        details: { timeout_ms: options.timeoutMs },
        cause: error,
      });
    case error.code === 'NETWORK_ERROR':
      return new AppError('UPSTREAM_ERROR', { systemMessage: 'The connection to Composio failed', details: {}, cause: error });
    case error.code === 'RESPONSE_TOO_LARGE':
      return new AppError('UPSTREAM_ERROR', { systemMessage: 'Composio sent a body over the size limit', details: { upstream_status: upstream }, cause: error });
    case error.code === 'INVALID_RESPONSE':
      return new AppError('UPSTREAM_ERROR', { systemMessage: 'Composio sent a body that is not JSON', details: { upstream_status: upstream }, cause: error });
    case upstream === 404:
      return new AppError('CREDENTIAL_NOT_FOUND', {
        systemMessage: 'Composio has no connected account with this id',
        details: { credential_id: options.credentialId },
        cause: error,
      });
    case upstream === 400:
      return new AppError('VALIDATION_ERROR', {
        systemMessage: 'Composio refused the credential id as malformed',
        details: { errors: [{ location: 'path', path: '/params/credential_id', message: 'is not a valid Composio connected-account id' }] },
        cause: error,
      });
    case upstream === 401 || upstream === 403:
      return new AppError('UPSTREAM_AUTH_ERROR', {
        systemMessage: `Composio rejected the configured COMPOSIO_API_KEY (${upstream}); check the key`,
        details: { upstream_status: upstream },
        cause: error,
      });
    case upstream === 429: {
      const retryAfter = retryAfterSeconds(error, options.defaultRetryAfterSeconds);
      return new AppError('UPSTREAM_UNAVAILABLE', {
        systemMessage: 'Composio answered 429',
        details: { upstream_status: 429 },
        retryAfterSeconds: retryAfter,
        cause: error,
      });
    }
    default:
      return new AppError('UPSTREAM_ERROR', {
        systemMessage: `Composio answered ${upstream}`,
        details: { upstream_status: upstream },
        cause: error,
      });
  }
}

export interface ComposioGateway {
  getConnectedAccount(id: string, options: ReadOptions): Promise<ConnectedAccount>;
  /** `closed`, `open` or `half-open`. */
  circuitState(): 'closed' | 'open' | 'half-open';
}

/** Codes that mean Composio is in trouble: enough of them in a row open the circuit. */
const OUTAGE_CODES = new Set(['UPSTREAM_ERROR', 'UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_AUTH_ERROR']);
const STATE_NAMES = { [CircuitState.Closed]: 'closed', [CircuitState.Open]: 'open', [CircuitState.HalfOpen]: 'half-open', [CircuitState.Isolated]: 'open' } as const;
const STATE_VALUES = { [CircuitState.Closed]: 0, [CircuitState.Open]: 1, [CircuitState.HalfOpen]: 2, [CircuitState.Isolated]: 1 } as const;

/** Reads connected accounts from Composio within a deadline, checks what comes back, and fails fast while Composio is down. */
export function createComposioGateway(options: GatewayOptions): ComposioGateway {
  const validateAccount = compileAccountValidator();
  const { metrics } = options;
  const breaker = circuitBreaker(
    handleWhen((error) => error instanceof AppError && OUTAGE_CODES.has(error.code)),
    { halfOpenAfter: options.breaker.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.breaker.threshold) },
  );
  metrics?.circuitState.set(0);
  breaker.onStateChange((state) => {
    metrics?.circuitState.set(STATE_VALUES[state]);
    if (state === CircuitState.Open) metrics?.circuitOpened.inc();
  });
  const retryAfterOpen = Math.max(1, Math.ceil(options.breaker.halfOpenAfterMs / 1000));

  async function read(id: string, { requestId }: ReadOptions): Promise<ConnectedAccount> {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    let account: unknown;
    try {
      account = await options.client.getConnectedAccount(id, { requestId, signal: deadline });
    } catch (error) {
      throw translateUpstreamError(error, {
        deadlineHit: deadline.aborted,
        timeoutMs: options.timeoutMs,
        defaultRetryAfterSeconds: options.defaultRetryAfterSeconds,
        credentialId: id,
      });
    }
    if (!validateAccount(account)) {
      const first = validateAccount.errors?.[0];
      throw new AppError('UPSTREAM_ERROR', {
        systemMessage: `Composio sent a connected account that breaks its contract (${first?.instancePath || '/'} ${first?.message ?? 'is invalid'})`,
        details: { upstream_status: 200 },
      });
    }
    return account as ConnectedAccount;
  }

  return {
    circuitState: () => STATE_NAMES[breaker.state],
    async getConnectedAccount(id, readOptions) {
      const started = performance.now();
      let outcome = 'success';
      try {
        return await breaker.execute(() => read(id, readOptions));
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          outcome = 'circuit_open';
          throw new AppError('UPSTREAM_UNAVAILABLE', {
            systemMessage: `Composio is failing; not calling it for up to ${retryAfterOpen} s (circuit open)`,
            details: { circuit: 'open' },
            retryAfterSeconds: retryAfterOpen,
          });
        }
        if (outcome === 'success') outcome = error instanceof AppError ? error.code : 'INTERNAL_ERROR';
        throw error;
      } finally {
        metrics?.composioCalls.inc({ outcome });
        metrics?.composioDuration.observe({ outcome }, (performance.now() - started) / 1000);
      }
    },
  };
}
