/**
 * What Node's HTTP parser and its special events answer on their own (a bare 400, 417 or 431,
 * or a hung-up socket), answered in the envelope instead, and limits that keep slow or idle
 * clients from holding sockets. Express never sees these requests.
 */
import { STATUS_CODES, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError, errorAnswer } from './errors.js';
import { newRequestId, requestIdOf } from './logging.js';

/** How long a client may take to send a request's headers, and the whole request (then 408). */
export interface RequestTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * Options of `createServer`: headers over 16 KiB are refused (431), and slow senders are looked
 * for often enough that the timeouts hold to within a second (Node looks every 30 s by default).
 */
export const hardenedServerOptions = ({ headersTimeoutMs, requestTimeoutMs }: RequestTimeouts): ServerOptions => ({
  maxHeaderSize: 16_384,
  headersTimeout: headersTimeoutMs,
  requestTimeout: requestTimeoutMs,
  connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs),
});

/** The last response started on each socket: a parse error after it must not produce a second answer. */
const lastResponse = new WeakMap<Duplex, ServerResponse>();

/** Writes an error in the envelope straight to a socket Express never sees, and closes it. */
function answerOnSocket(socket: Duplex, appError: AppError): void {
  const { status, headers, body } = errorAnswer(appError, newRequestId());
  const lines = Object.entries({ ...headers, Connection: 'close' }).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${lines.join('')}\r\n${body}`);
}

/** What a refusal of Node's HTTP parser is, in the API's terms. */
function clientErrorOf(error: NodeJS.ErrnoException): AppError {
  if (error.code === 'HPE_HEADER_OVERFLOW') return new AppError('REQUEST_HEADERS_TOO_LARGE');
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new AppError('REQUEST_TIMEOUT');
  return new AppError('VALIDATION_ERROR', { systemMessage: 'Malformed HTTP request' });
}

/** Requests Node's HTTP parser refuses (oversized headers, malformed lines, slow senders) still get the envelope. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const previous = lastResponse.get(socket);
  if (previous !== undefined && !previous.writableFinished && error.code !== 'ECONNRESET' && socket.writable) {
    if (!previous.req.complete) {
      // The request being answered is still arriving (its body stalled until the request timed
      // out, or went bad): what waits for the body would wait for ever. It is answered here, and
      // the socket closed.
      if (previous.headersSent) socket.destroy();
      else {
        const { status, headers, body } = errorAnswer(clientErrorOf(error), previous.req.id ?? newRequestId());
        previous.writeHead(status, { ...headers, Connection: 'close' }).end(body, () => socket.destroy());
      }
      return;
    }
    // Garbage after a complete request that is still being answered: finish that answer (it is
    // the last on this connection), then close. The garbage itself gets no second answer.
    if (!previous.headersSent) previous.setHeader('Connection', 'close');
    previous.once('finish', () => socket.end());
    previous.once('close', () => socket.destroy());
    return;
  }
  const answered = previous !== undefined && String(previous.getHeader('Connection')).toLowerCase() === 'close';
  if (error.code === 'ECONNRESET' || !socket.writable || answered) {
    socket.destroy();
    return;
  }
  answerOnSocket(socket, clientErrorOf(error));
}

/** An `Expect` other than 100-continue: Node would answer a bare 417; answer 400 in the envelope. */
function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
  lastResponse.set(req.socket, res);
  const { status, headers, body } = errorAnswer(new AppError('VALIDATION_ERROR', { systemMessage: 'Unsupported Expect header' }), requestIdOf(req));
  // Set one by one (not through writeHead) so answerClientError can see the Connection: close.
  for (const [name, value] of Object.entries({ ...headers, Connection: 'close' })) res.setHeader(name, value);
  res.writeHead(status).end(body);
}

/** CONNECT and protocol upgrades reach Node's own events, not Express: refuse them in the envelope. */
function refuseTunnel(_req: IncomingMessage, socket: Duplex): void {
  answerOnSocket(socket, new AppError('METHOD_NOT_ALLOWED', { systemMessage: 'This server does not tunnel or upgrade connections' }));
}

/** Installs the envelope answers and the socket time limits on a server made with `hardenedServerOptions`. */
export function hardenHttpServer(server: Server): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => lastResponse.set(req.socket, res));
  server.on('clientError', answerClientError);
  server.on('checkExpectation', refuseExpectation);
  server.on('connect', refuseTunnel);
  server.on('upgrade', refuseTunnel);
  // Idle clients must not hold sockets for ever (slow ones are timed by the options above).
  server.keepAliveTimeout = 5_000;
}
