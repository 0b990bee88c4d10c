import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's Prometheus metrics, in a registry of its own (several servers may share a process in tests). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    httpRequests: new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by route, method and status.', labelNames: ['route', 'method', 'status'], registers: [registry] }),
    httpDuration: new Histogram({ name: 'http_request_duration_seconds', help: 'Time to answer HTTP requests.', labelNames: ['route', 'method', 'status'], buckets, registers: [registry] }),
    composioCalls: new Counter({ name: 'composio_calls_total', help: 'Reads of connected accounts from Composio, by outcome (success or error code).', labelNames: ['outcome'], registers: [registry] }),
    composioDuration: new Histogram({ name: 'composio_call_duration_seconds', help: 'Time of Composio reads, retries included.', labelNames: ['outcome'], buckets, registers: [registry] }),
    composioRetries: new Counter({ name: 'composio_retries_total', help: 'Retries of Composio reads, by reason.', labelNames: ['reason'], registers: [registry] }),
    circuitState: new Gauge({ name: 'composio_circuit_state', help: 'Circuit breaker towards Composio: 0 closed, 1 open, 2 half-open.', registers: [registry] }),
    circuitOpened: new Counter({ name: 'composio_circuit_opened_total', help: 'Times the circuit towards Composio opened.', registers: [registry] }),
    cacheLookups: new Counter({ name: 'credentials_cache_lookups_total', help: 'Credentials cache lookups, by result (hit, miss, bypass).', labelNames: ['result'], registers: [registry] }),
    coalesced: new Counter({ name: 'credentials_coalesced_total', help: 'Requests that shared a Composio read already in flight for the same id.', registers: [registry] }),
    registryUnverified: new Counter({
      name: 'registry_unverified_lookups_total',
      help: 'Registry lookups answered from memory while the database was lost (marked X-Registry-Stale).',
      registers: [registry],
    }),
    databaseUp: new Gauge({ name: 'registry_database_up', help: "The registry's database as last seen: 1 up, 0 down (unreachable, too slow, or its change listener lost).", registers: [registry] }),
    registryQueries: new Counter({ name: 'registry_queries_total', help: 'Queries sent to the registry database.', registers: [registry] }),
    sharedStateFallbacks: new Counter({ name: 'shared_state_fallbacks_total', help: 'Redis calls that failed or were skipped (Redis slow or down), by operation; the in-process path was used.', labelNames: ['operation'], registers: [registry] }),
    staleServed: new Counter({ name: 'credentials_stale_served_total', help: 'Reads answered with last good credentials because Composio failed, by failure.', labelNames: ['reason'], registers: [registry] }),
    rateLimited: new Counter({ name: 'rate_limited_total', help: 'Requests refused by a rate limit, by limit.', labelNames: ['limit'], registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
