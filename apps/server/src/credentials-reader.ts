/**
 * Reads the credentials of a vendor connection: Composio read + mapping, behind the credential
 * store (in process, or shared through Redis; see shared/credential-store.ts).
 *
 * - An entry lives at most `ttlMs` and never past the credential's `expires_at` minus
 *   `expiryMarginMs`. Only ACTIVE accounts are kept.
 * - `noCache` (the caller's `Cache-Control: no-cache`) skips the kept value and refreshes it.
 * - Concurrent misses for one account make one Composio read, across instances with Redis.
 * - Stale-if-error (unless turned off): the last good credentials of an ACTIVE account are kept
 *   until the credential's own expiry (at most `lastGoodMaxMs` when it has none). When Composio fails
 *   (5xx, timeout, rate limit, open circuit) they are served instead, marked `stale` with the
 *   error's code; when there are none, or they have expired, the error stands. An account read
 *   as anything but ACTIVE, or gone (404), loses what was kept of it, last good included.
 */
import type { ErrorCode } from '@connector-credentials/types';
import type { ComposioGateway } from './composio/index.js';
import { AppError, OUTAGE_CODES } from './errors.js';
import { mapConnectedAccount } from './map-connected-account.js';
import type { Metrics } from './metrics.js';
import type { CredentialStore, StoredCredentials } from './shared/credential-store.js';

export interface ReaderOptions {
  /** Longest life of a kept entry, in ms; 0 keeps none (coalescing stays). */
  ttlMs: number;
  /** An entry ends this long before the credential's own expiry. */
  expiryMarginMs: number;
  /** How long a read may wait for another's (the Composio deadline). */
  deadlineMs: number;
  /** Keep last good credentials (those without an expiry at most `lastGoodMaxMs`) and serve them when Composio fails. */
  staleIfError: { enabled: boolean; lastGoodMaxMs: number };
}

export interface ReadResult {
  credentials: StoredCredentials;
  /** Set when Composio failed and the last good credentials were served: the failure's code. */
  stale?: ErrorCode;
}

export interface CredentialsReader {
  read(connectionId: string, options: { requestId: string; noCache?: boolean }): Promise<ReadResult>;
  /** Drops what is kept of a connection (registry deletions and deactivations). */
  forget(connectionId: string): Promise<void>;
}

const expiryOf = (credentials: StoredCredentials) => (credentials.expires_at === null ? undefined : Date.parse(credentials.expires_at));

export function createCredentialsReader(gateway: ComposioGateway, store: CredentialStore, options: ReaderOptions, metrics?: Metrics): CredentialsReader {
  /** How long this ACTIVE credential may be kept, in ms; 0 when it must not be. */
  function lifetime(credentials: StoredCredentials): number {
    const expiry = expiryOf(credentials);
    if (expiry === undefined) return options.ttlMs;
    return Math.max(0, Math.min(options.ttlMs, expiry - Date.now() - options.expiryMarginMs));
  }

  /**
   * How many times something kept was dropped (`forget`). A read that was under way meanwhile
   * keeps nothing: what it read may be what was just dropped (a deleted or turned-off entry).
   */
  let forgets = 0;

  async function load(id: string, requestId: string): Promise<StoredCredentials> {
    const started = forgets;
    const credentials = mapConnectedAccount(await gateway.getConnectedAccount(id, { requestId }));
    if (forgets !== started) return credentials;
    if (credentials.status !== 'ACTIVE') {
      // Revoked, expired, failed, …: nothing of the account stays, last good credentials
      // included, so a later outage can never answer with the secrets of an account that ended.
      await store.forget(id);
      return credentials;
    }
    await store.setFresh(id, credentials, options.ttlMs > 0 ? lifetime(credentials) : 0);
    const { enabled, lastGoodMaxMs } = options.staleIfError;
    if (enabled) await store.setLastGood(id, credentials, expiryOf(credentials) ?? Date.now() + lastGoodMaxMs);
    return credentials;
  }

  async function staleIfError(id: string, error: unknown): Promise<ReadResult> {
    // The account is gone at Composio: nothing of it may be served again, stale or not.
    if (error instanceof AppError && error.code === 'CONNECTION_NOT_FOUND') await forget(id);
    if (!options.staleIfError.enabled || !(error instanceof AppError) || !OUTAGE_CODES.has(error.code)) throw error;
    const last = await store.getLastGood(id);
    const expiry = last && expiryOf(last);
    if (!last || (expiry !== undefined && expiry <= Date.now())) throw error;
    metrics?.staleServed.inc({ reason: error.code });
    return { credentials: last, stale: error.code };
  }

  return {
    async read(id, { requestId, noCache }) {
      try {
        if (noCache) {
          metrics?.cacheLookups.inc({ result: 'bypass' });
          return { credentials: await load(id, requestId) };
        }
        const kept = await store.getFresh(id);
        if (kept !== undefined) {
          metrics?.cacheLookups.inc({ result: 'hit' });
          return { credentials: kept };
        }
        metrics?.cacheLookups.inc({ result: 'miss' });
        return { credentials: await store.singleFlight(id, options.deadlineMs, () => load(id, requestId)) };
      } catch (error) {
        return staleIfError(id, error);
      }
    },
    forget,
  };

  function forget(id: string): Promise<void> {
    forgets += 1;
    return store.forget(id);
  }
}
