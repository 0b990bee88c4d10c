import type { ComposioClient } from '@connector-credentials/client';
import { ApiError } from '@connector-credentials/client';

export interface ReadinessResult {
  ready: boolean;
  checks: { config: 'ok'; composio: 'ok' | 'unreachable' | 'rejects_key' | 'failing' | 'circuit_open' };
}

/** Probe id: any answer but 401/403, 5xx or no answer means Composio is reachable and takes our key. */
const PROBE_ID = 'ca_readiness_probe';

/** Readiness: configuration loaded (it is, or the server would not run) and Composio reachable. Cached briefly. */
export function createReadiness(
  client: ComposioClient,
  options: { timeoutMs: number; cacheMs?: number; circuitState?: () => 'closed' | 'open' | 'half-open' },
) {
  let last: { at: number; result: ReadinessResult } | undefined;
  let pending: Promise<ReadinessResult> | undefined;
  const cacheMs = options.cacheMs ?? 5_000;

  async function probe(): Promise<ReadinessResult> {
    try {
      await client.getConnectedAccount(PROBE_ID, { signal: AbortSignal.timeout(options.timeoutMs) });
      return { ready: true, checks: { config: 'ok', composio: 'ok' } };
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
        return { ready: true, checks: { config: 'ok', composio: 'ok' } };
      }
      const composio =
        error instanceof ApiError && (error.status === 401 || error.status === 403)
          ? 'rejects_key'
          : error instanceof ApiError && error.status >= 400
            ? 'failing'
            : 'unreachable';
      return { ready: false, checks: { config: 'ok', composio } };
    }
  }

  return async function check(now = Date.now()): Promise<ReadinessResult> {
    // While the circuit is open the server answers 503 at once: not ready, whatever a probe says.
    if (options.circuitState?.() === 'open') return { ready: false, checks: { config: 'ok', composio: 'circuit_open' } };
    if (last && now - last.at < cacheMs) return last.result;
    pending ??= probe().finally(() => {
      pending = undefined;
    });
    const result = await pending;
    last = { at: Date.now(), result };
    return result;
  };
}
