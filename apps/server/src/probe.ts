/**
 * A check that many callers may ask for at once (readiness probes, a load balancer's, a flood of
 * `/readyz`): one run at a time, shared by every caller while it runs, its result kept for
 * `ttlMs` after it ends. What it checks is never asked more than once per `ttlMs`.
 */
export function sharedProbe<T>(run: () => Promise<T>, ttlMs: number, now: () => number = Date.now): () => Promise<T> {
  let last: { at: number; result: T } | undefined;
  let pending: Promise<T> | undefined;
  return async () => {
    if (last && now() - last.at < ttlMs) return last.result;
    pending ??= run()
      .then((result) => {
        last = { at: now(), result };
        return result;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}
