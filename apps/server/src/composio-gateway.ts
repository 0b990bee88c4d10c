import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ApiError, type ComposioClient } from '@connector-credentials/client';
import type { ConnectedAccount } from '@connector-credentials/types';
import { AppError } from './errors.js';
import { loadComposioSpec } from './specs.js';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

export interface GatewayOptions {
  client: ComposioClient;
  /** Deadline of one read, retries included. */
  timeoutMs: number;
  /** Retry-After to give callers when Composio rate limits without one. */
  defaultRetryAfterSeconds: number;
}

export interface ReadOptions {
  requestId: string;
  /** Aborted when the caller goes away. */
  signal?: AbortSignal;
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
}

/** Reads connected accounts from Composio within a deadline, and checks what comes back. */
export function createComposioGateway(options: GatewayOptions): ComposioGateway {
  const validateAccount = compileAccountValidator();
  return {
    async getConnectedAccount(id, { requestId, signal }) {
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const combined = signal ? AbortSignal.any([deadline, signal]) : deadline;
      let account: unknown;
      try {
        account = await options.client.getConnectedAccount(id, { requestId, signal: combined });
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
    },
  };
}
