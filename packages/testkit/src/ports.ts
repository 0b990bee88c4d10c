import getPort from 'get-port';

/** A free TCP port on loopback. The caller binds it at once; callers that spawn a process retry on EADDRINUSE. */
export function freePort(): Promise<number> {
  return getPort({ host: '127.0.0.1' });
}
