// What the page's browser tests share: Debian's Chromium (headless, driven by playwright-core)
// with a fresh profile, and `npm run example:web` as a child process on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { freePort, repoRoot } from '@connector-credentials/testkit';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const artifacts = path.resolve(fileURLToPath(new URL('../test-results', import.meta.url)));

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a profile of its own (a fresh --user-data-dir), removed on close. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  const profile = mkdtempSync(path.join(tmpdir(), 'example-web-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1000, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors and uncaught exceptions of a page. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return errors;
}

export interface RunningProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Runs a child, resolving once its output says `ready` (at most a minute and a half: the machine may be busy). */
export function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; output: () => string; match: RegExpMatchArray }> {
  let output = '';
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start within 90 s:\n${output}`));
    }, 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, output: () => output, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code}) before it was ready:\n${output}`));
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** `npm run example:web` (packages/devtools/example-web.mjs) on a free port; the pipeline has built already. */
export async function startExampleWeb(env: Record<string, string> = {}): Promise<RunningProcess> {
  const port = await freePort();
  const { child, output } = await startProcess(
    ['packages/devtools/example-web.mjs'],
    { EXAMPLE_WEB_SKIP_BUILD: '1', EXAMPLE_WEB_PORT: String(port), ...env },
    /Example connections page: (\S+)/,
  );
  return { url: `http://127.0.0.1:${port}/`, output, stop: () => stopChild(child) };
}
