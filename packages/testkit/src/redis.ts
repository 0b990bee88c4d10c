/**
 * A real Redis server (Debian's `redis-server`) for the tests, on a free loopback port, without
 * persistence, stopped by `stop()`. `restart()` starts it again on the same port (outage tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports.ts';

export interface RedisServer {
  url: string;
  port: number;
  /** The running server's process id (the benchmark pins it to a core). */
  readonly pid: number | undefined;
  /** Stops the server; resolves once it is gone. */
  stop(): Promise<void>;
  /** Starts a stopped server again on the same port. */
  restart(): Promise<void>;
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
  });
}

function halt(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

export async function startRedis(): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    try {
      let child = await launch(port);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        get pid() {
          return child.pid;
        },
        stop: () => halt(child),
        async restart() {
          await halt(child);
          child = await launch(port);
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
