import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from './errors.js';
import type { ApiKeyEntry } from './config.js';

/** Reads Prometheus metrics (`GET /metrics`, a route outside the spec); `admin` keys may too. */
export const METRICS_ROLES = ['metrics', 'admin'] as const;

/** The headers a key may come in; each key is configured for one of them. */
export const KEY_HEADERS = ['X-API-Key', 'X-Flowplate-Key', 'X-Aitronos-Hub-Key'] as const;
export type KeyHeader = (typeof KEY_HEADERS)[number];
/** Each key header with its name as Node gives it in `req.headers`, lower-cased once. */
const KEY_HEADER_NAMES = KEY_HEADERS.map((name) => [name, name.toLowerCase()] as const);

declare global {
  namespace Express {
    interface Locals {
      /** Who called, set once the key is authenticated. */
      principal?: Principal;
      /** The request's authentication, made once (see `authenticationOf`). */
      authentication?: Authentication;
    }
  }
}

/** The caller of a route behind a key check. */
export function principalOf(res: Pick<Response<unknown>, 'locals'>): Principal {
  const principal = res.locals.principal;
  // Behind a key check a request without a principal never gets here.
  if (principal === undefined) throw new AppError('AUTHENTICATION_REQUIRED');
  return principal;
}

export interface Principal {
  /** The key's configured name: safe to log. */
  name: string;
  header: KeyHeader;
  roles: readonly string[];
}

export type Authentication = { ok: true; principal: Principal } | { ok: false; error: AppError };

export const sha256Hex = (value: string) => hash('sha256', value, 'hex');

/** Authenticates a request by its key headers; `principals` are every configured key's, made once at start. */
export interface KeyRing {
  (headers: IncomingHttpHeaders): Authentication;
  readonly principals: readonly Principal[];
}

/** A key header's value as presented (a repeated header arrives joined), or undefined when absent or blank. */
function presentedIn(headers: IncomingHttpHeaders, lowerCase: string): string | undefined {
  const raw = headers[lowerCase];
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * Authenticates a request by its key headers. Rules:
 * - no key header (or only empty ones) -> AUTHENTICATION_REQUIRED;
 * - more than one of the three headers -> INVALID_API_KEY (present exactly one key);
 * - a repeated header arrives joined (`a, b`) and so matches no key -> INVALID_API_KEY;
 * - a key configured for another header -> INVALID_API_KEY, as an unknown key.
 * Every configured digest is compared, in constant time, whatever matches first. Each key's
 * principal is made here, once: a request gets the same object every time.
 */
export function createKeyRing(entries: readonly ApiKeyEntry[]): KeyRing {
  const ring = entries.map((entry) => ({
    header: entry.header,
    digest: Buffer.from(entry.sha256, 'hex'),
    principal: Object.freeze({ name: entry.name, header: entry.header, roles: Object.freeze([...entry.roles]) }) as Principal,
  }));

  function authenticate(headers: IncomingHttpHeaders): Authentication {
    // The one key presented: the first header found, and how many were.
    let header: KeyHeader | undefined;
    let value = '';
    let count = 0;
    for (const [name, lowerCase] of KEY_HEADER_NAMES) {
      const presented = presentedIn(headers, lowerCase);
      if (presented === undefined) continue;
      count += 1;
      if (header === undefined) {
        header = name;
        value = presented;
      }
    }
    if (header === undefined) {
      return { ok: false, error: new AppError('AUTHENTICATION_REQUIRED', { systemMessage: 'Missing or invalid authorization header' }) };
    }
    if (count > 1) {
      const names = KEY_HEADER_NAMES.filter(([, lowerCase]) => presentedIn(headers, lowerCase) !== undefined).map(([name]) => name);
      return { ok: false, error: new AppError('INVALID_API_KEY', { systemMessage: `Present exactly one key; got ${names.join(', ')}` }) };
    }
    // One-shot hashing, no Hash object per request. The digest comes back as hex and is decoded
    // here: Node 24's `hash` returns a Buffer digest about three times slower than hex and a
    // decode together (a Buffer made on the C++ side costs more than one made in JavaScript).
    const digest = Buffer.from(sha256Hex(value), 'hex');
    let match: Principal | undefined;
    for (const known of ring) {
      // No early exit: the time taken does not depend on which key (if any) matches.
      if (timingSafeEqual(digest, known.digest) && known.header === header) match = known.principal;
    }
    if (!match) {
      return {
        ok: false,
        error: new AppError('INVALID_API_KEY', { systemMessage: "Unknown API key, or a key presented in another kind's header" }),
      };
    }
    return { ok: true, principal: match };
  }

  return Object.assign(authenticate, { principals: Object.freeze(ring.map((known) => known.principal)) });
}

/**
 * The request's authentication, made once: the rate limits' pass reads it (to count the
 * request per key when its operation accepts the key) before the key check acts on it.
 */
export function authenticationOf(authenticate: KeyRing, req: Request, res: Response): Authentication {
  return (res.locals.authentication ??= authenticate(req.headers));
}

/**
 * Express middleware: a valid key whose principal `allows` accepts, else 401/403 through the error
 * renderer. `allows` is asked once per configured key, here: a request only looks its key up.
 */
export function requirePrincipal(authenticate: KeyRing, allows: (principal: Principal) => boolean, requiredRole: string): RequestHandler {
  const allowed: ReadonlySet<Principal> = new Set(authenticate.principals.filter(allows));
  return (req, res, next) => {
    const result = authenticationOf(authenticate, req, res);
    if (!result.ok) return next(result.error);
    res.locals.principal = result.principal;
    if (!allowed.has(result.principal)) {
      return next(
        new AppError('INSUFFICIENT_PERMISSIONS', {
          systemMessage: 'Insufficient permissions for this operation',
          details: { required_role: requiredRole },
        }),
      );
    }
    next();
  };
}

/** Express middleware for routes outside the spec (`/metrics`): a valid key with one of `roles`. */
export function requireRole(authenticate: KeyRing, roles: readonly string[]): RequestHandler {
  return requirePrincipal(authenticate, (principal) => principal.roles.some((role) => roles.includes(role)), roles.join(' or '));
}
