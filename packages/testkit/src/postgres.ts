/**
 * A real PostgreSQL server (Debian's `postgresql` package) for the tests: a new cluster in a
 * temporary directory, on a free loopback port, stopped and removed by `stop()`. `halt()` and
 * `restart()` stop the server process and start it again on the same data and port, as an
 * outage would. PostgreSQL refuses to run as root, so as root the cluster belongs to the
 * `postgres` user.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.ts';

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  /** Stops the server process at once (as a crash or failover would), keeping its data. */
  halt(): Promise<void>;
  /** Starts the server again on the same data and port, after `halt()`. */
  restart(): Promise<void>;
  /** Stops the server (if it runs) and removes its directory. */
  stop(): Promise<void>;
}

/** The directory of the newest installed PostgreSQL's programs. */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'pg_ctl'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error("PostgreSQL is not installed: apt-get install postgresql (npm test installs it)");
  return path.join(base, newest, 'bin');
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-test-'));
  const data = path.join(dir, 'data');
  const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  const gid = asRoot ? Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) : undefined;
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const options: ExecFileSyncOptions = { stdio: 'pipe', uid, gid, cwd: dir, env: { ...process.env, LC_ALL: 'C.UTF-8' } };
  execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], options);
  const pgCtl = (...args: string[]) => execFileSync(path.join(bin, 'pg_ctl'), ['-D', data, ...args], options);
  const start = (port: number) =>
    pgCtl('-l', path.join(dir, 'server.log'), '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start');
  const halt = () => pgCtl('-m', 'immediate', '-w', 'stop');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    try {
      start(port);
      let running = true;
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        async halt() {
          if (!running) return;
          halt();
          running = false;
        },
        async restart() {
          if (running) return;
          start(port);
          running = true;
        },
        async stop() {
          try {
            if (running) halt();
            running = false;
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    } catch (error) {
      lastError = error; // most likely a port taken meanwhile
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
