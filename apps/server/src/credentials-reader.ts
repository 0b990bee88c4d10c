/**
 * Reads credentials: Composio read + mapping, behind an in-memory cache and request coalescing.
 *
 * - The cache is an LRU bounded by count, keyed by connected-account id. An entry lives at most
 *   `ttlMs` and never past the credential's `expires_at` minus `expiryMarginMs`; it is purged when
 *   it expires, so no secret outlives its expiry in memory. Only ACTIVE accounts are cached.
 * - `noCache` (the caller's `Cache-Control: no-cache`) skips the cached value and refreshes it.
 * - Concurrent misses for the same id share one Composio read.
 */
import { LRUCache } from 'lru-cache';
import type { ConnectorCredentials } from '@connector-credentials/types';
import type { ComposioGateway } from './composio/index.js';
import { mapConnectedAccount } from './map-connected-account.js';
import type { Metrics } from './metrics.js';

export interface CacheOptions {
  /** Longest life of an entry, in ms; 0 turns the cache off (coalescing stays). */
  ttlMs: number;
  maxEntries: number;
  /** An entry ends this long before the credential's own expiry. */
  expiryMarginMs: number;
  /** Clock, in ms; tests pass a fake one. */
  now?: () => number;
}

export interface CredentialsReader {
  read(id: string, options: { requestId: string; noCache?: boolean }): Promise<ConnectorCredentials>;
  /** Entries currently held (for tests and metrics). */
  size(): number;
}

export function createCredentialsReader(gateway: ComposioGateway, options: CacheOptions, metrics?: Metrics): CredentialsReader {
  const now = options.now ?? (() => performance.now());
  const cache =
    options.ttlMs > 0
      ? new LRUCache<string, ConnectorCredentials>({
          max: options.maxEntries,
          ttl: options.ttlMs,
          ttlAutopurge: true,
          perf: { now },
        })
      : undefined;
  const inFlight = new Map<string, Promise<ConnectorCredentials>>();

  /** How long this credential may be cached, in ms; 0 when it must not be. */
  function lifetime(credentials: ConnectorCredentials): number {
    if (credentials.status !== 'ACTIVE') return 0;
    if (credentials.expires_at === null) return options.ttlMs;
    const untilExpiry = Date.parse(credentials.expires_at) - Date.now() - options.expiryMarginMs;
    return Math.max(0, Math.min(options.ttlMs, untilExpiry));
  }

  /** One Composio read, shared by every caller that asks meanwhile: no caller's abort may cancel it (the gateway's deadline bounds it). */
  function fetchAndStore(id: string, requestId: string): Promise<ConnectorCredentials> {
    const pending = gateway
      .getConnectedAccount(id, { requestId })
      .then((account) => {
        const credentials = mapConnectedAccount(account);
        const ttl = cache ? lifetime(credentials) : 0;
        if (ttl > 0) cache!.set(id, credentials, { ttl });
        else cache?.delete(id);
        return credentials;
      })
      .finally(() => {
        if (inFlight.get(id) === pending) inFlight.delete(id);
      });
    inFlight.set(id, pending);
    return pending;
  }

  return {
    size: () => cache?.size ?? 0,
    async read(id, { requestId, noCache }) {
      if (noCache) {
        metrics?.cacheLookups.inc({ result: 'bypass' });
        return fetchAndStore(id, requestId);
      }
      const cached = cache?.get(id);
      if (cached !== undefined) {
        metrics?.cacheLookups.inc({ result: 'hit' });
        return cached;
      }
      metrics?.cacheLookups.inc({ result: 'miss' });
      const shared = inFlight.get(id);
      if (shared) {
        metrics?.coalesced.inc();
        return shared;
      }
      return fetchAndStore(id, requestId);
    },
  };
}
