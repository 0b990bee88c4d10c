import { hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { AppError } from './errors.js';
import type { ApiKeyEntry } from './config.js';

export const ADMIN_ROLE = 'admin';
/** Lists and toggles connections (`GET /connections/{tool_key}`, `PATCH …/active`), nothing else. */
export const CONNECTIONS_ROLE = 'connections';

/** The headers a key may come in; each key is configured for one of them. */
export const KEY_HEADERS = ['X-API-Key', 'X-Flowplate-Key', 'X-Aitronos-Hub-Key'] as const;
export type KeyHeader = (typeof KEY_HEADERS)[number];

declare global {
  namespace Express {
    interface Locals {
      /** Who called, set by requireRole once the key is authenticated. */
      principal?: Principal;
    }
  }
}

/** The caller of a route mounted behind requireRole. */
export function principalOf(res: Pick<Response<unknown>, 'locals'>): Principal {
  const principal = res.locals.principal;
  // Behind requireRole a request without a principal never gets here.
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

/**
 * Authenticates a request by its key headers. Rules:
 * - no key header (or only empty ones) -> AUTHENTICATION_REQUIRED;
 * - more than one of the three headers -> INVALID_API_KEY (present exactly one key);
 * - a repeated header arrives joined (`a, b`) and so matches no key -> INVALID_API_KEY;
 * - a key configured for another header -> INVALID_API_KEY, as an unknown key.
 * Every configured digest is compared, in constant time, whatever matches first.
 */
export function createKeyRing(entries: readonly ApiKeyEntry[]) {
  const ring = entries.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, 'hex') }));

  return function authenticate(headers: IncomingHttpHeaders): Authentication {
    const presented: Array<{ header: KeyHeader; value: string }> = [];
    for (const header of KEY_HEADERS) {
      const raw = headers[header.toLowerCase()];
      const value = Array.isArray(raw) ? raw.join(', ') : raw;
      if (value !== undefined && value.trim() !== '') presented.push({ header, value });
    }
    if (presented.length === 0) {
      return { ok: false, error: new AppError('AUTHENTICATION_REQUIRED', { systemMessage: 'Missing or invalid authorization header' }) };
    }
    if (presented.length > 1) {
      return {
        ok: false,
        error: new AppError('INVALID_API_KEY', {
          systemMessage: `Present exactly one key; got ${presented.map((p) => p.header).join(', ')}`,
        }),
      };
    }
    const { header, value } = presented[0]!;
    // One-shot hashing: no Hash object per request.
    const digest = hash('sha256', value, 'buffer');
    let match: ApiKeyEntry | undefined;
    for (const { entry, digest: known } of ring) {
      // No early exit: the time taken does not depend on which key (if any) matches.
      if (timingSafeEqual(digest, known) && entry.header === header) match = entry;
    }
    if (!match) {
      return {
        ok: false,
        error: new AppError('INVALID_API_KEY', { systemMessage: "Unknown API key, or a key presented in another kind's header" }),
      };
    }
    return { ok: true, principal: { name: match.name, header, roles: match.roles } };
  };
}

export type KeyRing = ReturnType<typeof createKeyRing>;

/** Express middleware: a valid key with one of `roles`, else 401/403 through the error renderer. */
export function requireRole(authenticate: KeyRing, roles: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const result = authenticate(req.headers);
    if (!result.ok) return next(result.error);
    res.locals.principal = result.principal;
    if (!result.principal.roles.some((role) => roles.includes(role))) {
      return next(
        new AppError('INSUFFICIENT_PERMISSIONS', {
          systemMessage: 'Insufficient permissions for this operation',
          details: { required_role: roles.join(' or ') },
        }),
      );
    }
    next();
  };
}

