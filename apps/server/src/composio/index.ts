/**
 * Everything the server does with Composio, in one place: the HTTP transport and its limits (http.ts),
 * one resilience policy (deadline, retries, circuit breaker, per-attempt timeout), the body
 * check, the one translation of failures to AppError, and the readiness probe, which goes
 * through the same path as a read.
 */
import {
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IRetryBackoffContext,
} from 'cockatiel';
import { ApiError, RETRY_STATUSES } from '@connector-credentials/client';
import type { ConnectedAccount } from '@connector-credentials/types';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { sharedProbe } from '../probe.js';
import { accountChecker } from './body.js';
import { createComposioHttp, type ComposioRequestHook } from './http.js';
import { isOutage, translateUpstreamError, type TranslationContext } from './translate.js';

export type ComposioSettings = Pick<Config, 'composio' | 'breaker' | 'upstreamRetryAfterSeconds'>;

export interface ReadOptions {
  /** Sent on to Composio as X-Request-Id. */
  requestId: string;
  /** Where the caller's request carried the id (a refused id's 400 names it): its path unless said. */
  idFrom?: 'path' | 'body';
}

export type CircuitStateName = 'closed' | 'open' | 'half-open';

export interface ComposioGateway {
  getConnectedAccount(id: string, options: ReadOptions): Promise<ConnectedAccount>;
  circuitState(): CircuitStateName;
}

/**
 * Readiness of dependencies, as `/readyz` reports it: a state per check (`ok`, `degraded`, or what
 * is wrong), and `ready` when the ones the API cannot work without are `ok`.
 */
export interface ReadinessResult<Checks extends Record<string, string> = Record<string, string>> {
  ready: boolean;
  checks: Checks;
}

/** Composio's part of readiness. */
export type ComposioReadiness = ReadinessResult<{ config: 'ok'; composio: 'ok' | 'unreachable' | 'rejects_key' | 'failing' | 'circuit_open' }>;

export interface Composio {
  gateway: ComposioGateway;
  /** Readiness: configuration loaded (it is, or the server would not run) and Composio reachable. Cached briefly. */
  readiness(): Promise<ComposioReadiness>;
  /** Closes the connections to Composio once the reads under way are done. */
  close(): Promise<void>;
}

/** Only short waits are worth retrying within a caller's request; a longer Retry-After is passed on. */
const MAX_RETRY_AFTER_MS = 1_000;
const BACKOFF = { baseMs: 100, maxMs: 1_000 };
/** Probe id: any answer but 401/403, 5xx or no answer means Composio is reachable and takes our key. */
const PROBE_ID = 'ca_readiness_probe';
const READINESS_CACHE_MS = 5_000;

const STATE_NAMES = { [CircuitState.Closed]: 'closed', [CircuitState.Open]: 'open', [CircuitState.HalfOpen]: 'half-open', [CircuitState.Isolated]: 'open' } as const;
const STATE_VALUES = { [CircuitState.Closed]: 0, [CircuitState.Open]: 1, [CircuitState.HalfOpen]: 2, [CircuitState.Isolated]: 1 } as const;

/** Worth another attempt: no answer in time, a network failure, or 429/502/503/504 with at most a short Retry-After. */
const retryable = (error: unknown): boolean =>
  error instanceof TaskCancelledError ||
  (error instanceof ApiError &&
    (error.code === 'NETWORK_ERROR' || (RETRY_STATUSES.has(error.status) && (error.retryAfterMs ?? 0) <= MAX_RETRY_AFTER_MS)));

/** Composio's Retry-After when it gave one, else jittered exponential backoff. */
const backoff = new DelegateBackoff<IRetryBackoffContext<unknown>>(({ attempt, result }) => {
  const retryAfter = 'error' in result && result.error instanceof ApiError ? result.error.retryAfterMs : undefined;
  return retryAfter ?? Math.floor(Math.random() * Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** (attempt - 1)));
});

const retryReason = (error: unknown) =>
  error instanceof TaskCancelledError ? 'timeout' : error instanceof ApiError && error.code === 'NETWORK_ERROR' ? 'network' : 'status';

export function createComposio(settings: ComposioSettings, metrics?: Metrics, onRequest?: ComposioRequestHook): Composio {
  const { composio } = settings;
  const { timeoutMs, retries } = composio;
  // No retries of its own (the policy retries); its timeout is a backstop only: the policy's
  // per-attempt timeout fires first.
  const http = createComposioHttp({
    baseUrl: composio.baseUrl,
    apiKey: composio.apiKey,
    apiVersion: composio.apiVersion,
    timeoutMs: composio.timeoutMs,
    maxResponseBytes: composio.maxResponseBytes,
    onRequest,
  });
  const checkAccount = accountChecker();
  const context: Omit<TranslationContext, 'connectionId'> = {
    timeoutMs,
    defaultRetryAfterSeconds: settings.upstreamRetryAfterSeconds,
    retryAfterOpenSeconds: Math.max(1, Math.ceil(settings.breaker.halfOpenAfterMs / 1000)),
  };

  // One deadline for the whole read. Each attempt gets part of it, so that a retry after a
  // timed-out attempt still fits.
  // A read that returned has nothing left to cancel (its body is read), so its signal is not
  // aborted on return: that abort cost a DOMException and an abort event per read.
  const timeoutOptions = { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false };
  const deadline = timeout(timeoutMs, timeoutOptions);
  const attemptTimeout = timeout(retries > 0 ? Math.ceil(timeoutMs / 2) : timeoutMs, timeoutOptions);
  const retryPolicy = retry(handleWhen(retryable), { maxAttempts: retries, backoff });
  const breaker = circuitBreaker(handleWhen(isOutage), {
    halfOpenAfter: settings.breaker.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(settings.breaker.threshold),
  });
  const policy = wrap(deadline, retryPolicy, breaker, attemptTimeout);

  retryPolicy.onRetry((event) => metrics?.composioRetries.inc({ reason: 'error' in event ? retryReason(event.error) : 'status' }));
  metrics?.circuitState.set(0);
  breaker.onStateChange((state) => {
    metrics?.circuitState.set(STATE_VALUES[state]);
    if (state === CircuitState.Open) metrics?.circuitOpened.inc();
  });

  /** One read through the policy; every failure leaves as an AppError. */
  async function read(id: string, requestId: string | undefined, idFrom: 'path' | 'body' = 'path'): Promise<ConnectedAccount> {
    try {
      return await policy.execute(async ({ signal }) =>
        checkAccount(await http.getConnectedAccount(id, { signal, requestId })),
      );
    } catch (error) {
      throw translateUpstreamError(error, { ...context, connectionId: id, connectionIdFrom: idFrom });
    }
  }

  const gateway: ComposioGateway = {
    circuitState: () => STATE_NAMES[breaker.state],
    async getConnectedAccount(id, { requestId, idFrom }) {
      const started = performance.now();
      let outcome = 'success';
      try {
        return await read(id, requestId, idFrom);
      } catch (error) {
        const appError = error as AppError;
        outcome = appError.details.circuit === 'open' ? 'circuit_open' : appError.code;
        throw error;
      } finally {
        metrics?.composioCalls.inc({ outcome });
        metrics?.composioDuration.observe({ outcome }, (performance.now() - started) / 1000);
      }
    },
  };

  async function probe(): Promise<ComposioReadiness> {
    try {
      await read(PROBE_ID, undefined);
      return { ready: true, checks: { config: 'ok', composio: 'ok' } };
    } catch (error) {
      const { code, details } = error as AppError;
      if (code === 'CONNECTION_NOT_FOUND' || code === 'VALIDATION_ERROR') return { ready: true, checks: { config: 'ok', composio: 'ok' } };
      const composio =
        code === 'UPSTREAM_AUTH_ERROR'
          ? 'rejects_key'
          : details.circuit === 'open'
            ? 'circuit_open'
            : code === 'UPSTREAM_TIMEOUT' || details.upstream_status === undefined
              ? 'unreachable'
              : 'failing';
      return { ready: false, checks: { config: 'ok', composio } };
    }
  }

  const probed = sharedProbe(probe, READINESS_CACHE_MS);
  async function readiness(): Promise<ComposioReadiness> {
    // While the circuit is open the server answers 503 at once: not ready, whatever a probe says.
    if (gateway.circuitState() === 'open') return { ready: false, checks: { config: 'ok', composio: 'circuit_open' } };
    return probed();
  }

  return { gateway, readiness, close: () => http.close() };
}
