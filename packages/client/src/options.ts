import type { TransportOptions } from './transport.js';

/** Options of one convenience call. */
export interface CallOptions {
  /** Aborts the call (and its retries). */
  signal?: AbortSignal;
  /** The id sent in `X-Request-Id`; generated when omitted. */
  requestId?: string;
  /** Extra headers for this call only (for instance Prism's `Prefer`). */
  headers?: Record<string, string>;
}

export interface BaseClientOptions extends TransportOptions {
  /** Base URL of the API, without a trailing path (`https://api.aitronos.com`). */
  baseUrl: string;
  /** Headers sent on every call. */
  headers?: Record<string, string>;
  /** Makes the id sent in `X-Request-Id` when the caller gives none. */
  requestId?: () => string;
}
