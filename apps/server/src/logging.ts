/**
 * Logs: pino, JSON, one line per request. That line carries the access facts (trace id, method,
 * path, status, time) and, for operations that leave an audit trail, the audit facts too (who,
 * which credential and connection, the outcome), so a credential read costs one serialization,
 * not two. Nothing in a line comes from headers or bodies, so no secret can reach it; the
 * redaction paths are a net for what is logged elsewhere (errors).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';
import { AppError } from './errors.js';

/** What an operation records of a request for the audit trail (set on `res.locals.audit`). */
export interface AuditFacts {
  event: 'credential_read' | 'credential_registered' | 'credential_deleted' | 'connection_toggled';
  key_name: string;
  credential_id?: string | null;
  connection_id?: string;
  organization_id?: string;
  is_active?: boolean;
  /** `success`, `stale:<code>`, or the error code; filled from the error when not set. */
  outcome?: string;
  /** `unverified` when the registry entry was answered from memory while the database was lost. */
  registry?: 'unverified';
}

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (trace id), set by requestLogger. */
    id?: string;
  }
}

declare global {
  namespace Express {
    interface Locals {
      audit?: AuditFacts;
      /** The error code the request ended with, set by the error renderer. */
      failure?: string;
    }
  }
}

/** Paths that could ever hold a secret in what is logged besides the request lines. */
const REDACTED_PATHS = ['apiKey', 'credentials', 'access_token', 'refresh_token', 'err.headers', 'err.request'];

/** What is kept of an error's cause: its kind and codes, never its message (upstream text). */
function causesOf(error: Error): Array<Record<string, unknown>> | undefined {
  const causes: Array<Record<string, unknown>> = [];
  for (let cause = error.cause; cause instanceof Error && causes.length < 5; cause = cause.cause) {
    const { code, status, upstreamStatus } = cause as Error & { code?: unknown; status?: unknown; upstreamStatus?: unknown };
    causes.push({
      type: cause.name,
      // A code of an HTTP answer is the upstream's own text; others (ECONNREFUSED, NETWORK_ERROR) are ours.
      ...(typeof code === 'string' && typeof status !== 'number' && { code }),
      ...(typeof status === 'number' && { status }),
      ...(typeof upstreamStatus === 'number' && { upstream_status: upstreamStatus }),
    });
  }
  return causes.length > 0 ? causes : undefined;
}

/**
 * How errors are logged. An AppError is logged by its code, our own message and details, its own
 * stack, and the kinds of its causes: a cause's message (an upstream error body, which could echo
 * anything, the configured Composio key included) never reaches the log. Other errors are bugs of
 * ours and are logged in full.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof AppError)) return error instanceof Error ? pino.stdSerializers.err(error) : error;
  return {
    type: error.name,
    code: error.code,
    status: error.status,
    message: error.systemMessage,
    details: error.details,
    stack: error.stack,
    causes: causesOf(error),
  };
}

/**
 * pino's `isoTime`, formatted once per millisecond: lines of the same millisecond (a server under
 * load writes several) share the string instead of each making a Date and formatting it.
 */
let lastMs = Number.NaN;
let lastTime = '';
export function isoTimeOncePerMs(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/**
 * How stdout is written: lines are gathered up to this many bytes before a write (one write of
 * dozens of lines instead of one per request, each a system call on libuv's thread pool; below
 * sonic-boom's largest write, 16 KiB), and written at least this often when fewer arrive.
 */
export const LOG_BUFFER_BYTES = 16_000;
export const LOG_FLUSH_MS = 100;

/**
 * The server's logger. Without a destination it writes to stdout asynchronously, through
 * sonic-boom: lines are buffered (`LOG_BUFFER_BYTES`, `LOG_FLUSH_MS`) and written off the request
 * path; what is buffered is written when the process exits, on every exit path but SIGKILL.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'connector-credentials-server' },
      timestamp: isoTimeOncePerMs,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      serializers: { err: serializeError },
    },
    destination ?? pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_MS }),
  );
}

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A new request id: the one generator of the server. */
export const newRequestId = (): string => `req_${randomUUID().replaceAll('-', '')}`;

/** The caller's X-Request-Id when it is sane, else a new id. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : newRequestId();
}

/** Told of every request that finished (not aborted), with its time in ms: metrics, from the same timer. */
export type FinishObserver = (req: Request, res: Response, elapsedMs: number) => void;

/**
 * Sets the request id (echoed in `X-Request-Id`) and writes the request's one line when it ends;
 * `observe` is told of each finished request from the same listener and timer.
 */
export function requestLogger(logger: Logger, observe?: FinishObserver): RequestHandler {
  // The request lines are built here from the typed facts above, none of them a secret, so they
  // skip the redaction paths (the net for what is logged elsewhere), which cost every line a pass
  // over them: a child of the same logger (same stream, fields and timestamp) without them.
  const lines = logger.child({}, { redact: [] });
  return (req, res, next) => {
    const id = requestIdOf(req);
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const started = performance.now();
    const done = (aborted: boolean) => {
      const elapsed = performance.now() - started;
      if (!aborted) observe?.(req, res, elapsed);
      const { audit, failure } = res.locals;
      const status = res.statusCode;
      const url = req.originalUrl;
      const query = url.indexOf('?');
      const line = {
        trace_id: id,
        req: { method: req.method, path: (query < 0 ? url : url.slice(0, query)).slice(0, 512) },
        res: { statusCode: status },
        responseTime: Math.round(elapsed),
        ...(failure !== undefined && { code: failure }),
        ...(audit && { audit: true, ...audit, outcome: aborted ? 'abandoned' : (audit.outcome ?? failure ?? 'success') }),
      };
      if (aborted) lines.info(line, 'request aborted');
      else if (status >= 500) lines.error(line, 'request failed');
      else lines.info(line, 'request completed');
    };
    // One listener: an answer emits `close` after `finish`, an aborted one `close` alone.
    res.once('close', () => done(!res.writableFinished));
    next();
  };
}
