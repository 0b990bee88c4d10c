/**
 * What both entry points (main.ts, local.ts) do around startServer: a configuration error exits
 * 78 (EX_CONFIG) with every problem listed; SIGTERM and SIGINT drain, then exit 0; an uncaught
 * exception or unhandled rejection is logged and exits 1.
 */
import { ConfigError, loadConfig, type Config } from './config.js';
import { startServer, type RunningServer, type StartOptions } from './server.js';

export interface ServeOptions {
  /** Runs before the process exits, on any path (for instance, stops a mock the entry started). */
  beforeExit?: () => Promise<void>;
  /** Passed to startServer. */
  start?: StartOptions;
}

export async function serve(env: NodeJS.ProcessEnv, options: ServeOptions = {}): Promise<{ config: Config; running: RunningServer }> {
  const beforeExit = options.beforeExit ?? (async () => undefined);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    await beforeExit();
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const running = await startServer(config, options.start);
  const { logger } = running;
  let stopping = false;
  const shutdown = (signal: string) => {
    // A second signal (Ctrl-C reaches both `npm start` and the server, and `npm start` passes its
    // own on) does not cut the drain short: the deadline below still ends the process.
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    // Whatever hangs (a connection, the database, Redis), the process ends.
    setTimeout(() => {
      logger.error('shutdown did not finish in time: exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000).unref();
    void running
      .close()
      .then(beforeExit)
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const crash = (what: string) => (error: unknown) => {
    logger.fatal({ err: error }, what);
    void beforeExit().finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));
  return { config, running };
}
