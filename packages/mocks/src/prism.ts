import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import getPort from 'get-port';

const require = createRequire(import.meta.url);

export interface StartPrismOptions {
  /** Path of the bundled spec to serve. */
  spec: string;
  /** Port to listen on; a free one is picked when omitted. */
  port?: number;
  /** Address to listen on; loopback by default. */
  host?: string;
  /** `--errors`: answer with an error when a request or response breaks the spec. On by default. */
  errors?: boolean;
  /** `--dynamic`: generate bodies from the schemas instead of using examples. */
  dynamic?: boolean;
  /** How long to wait for "Prism is listening". */
  startTimeoutMs?: number;
}

export interface PrismProcess {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  port: number;
  /** Stops Prism and every process it started; resolves once they are gone. */
  stop(): Promise<void>;
}

function prismBin(): string {
  const pkg = require.resolve('@stoplight/prism-cli/package.json');
  return path.join(path.dirname(pkg), 'dist', 'index.js');
}

/** Starts a real Prism mock server on loopback and waits until it listens. Retries on a port clash. */
export async function startPrism(options: StartPrismOptions): Promise<PrismProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = options.port ?? (await getPort({ host: options.host ?? '127.0.0.1' }));
    try {
      return await startOnce(options, port);
    } catch (error) {
      lastError = error;
      if (options.port !== undefined) break;
    }
  }
  throw lastError;
}

function startOnce(options: StartPrismOptions, port: number): Promise<PrismProcess> {
  const host = options.host ?? '127.0.0.1';
  const args = [prismBin(), 'mock', '--host', host, '--port', String(port)];
  if (options.errors ?? true) args.push('--errors');
  if (options.dynamic) args.push('--dynamic');
  args.push(options.spec);
  // Not production: there Prism forks a worker that would outlive a kill of this process.
  const env = { ...process.env, NODE_ENV: 'development', FORCE_COLOR: '0' };
  // Its own process group, so stop() can end Prism and anything it spawned.
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  let output = '';

  return new Promise<PrismProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`Prism did not start within ${options.startTimeoutMs ?? 120_000} ms:\n${output}`));
    }, options.startTimeoutMs ?? 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Prism is listening on')) {
        clearTimeout(timer);
        // Keep draining the pipes so Prism never blocks on a full one.
        child.stdout?.removeListener('data', onData);
        child.stderr?.removeListener('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ url, port, stop: () => stop(child) });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Prism exited with ${code} before listening:\n${output}`));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    killGroup(child);
  });
}
