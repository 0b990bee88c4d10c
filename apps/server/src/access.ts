/**
 * Who may call each operation, read from the spec once, at start. An operation's `security` lists
 * the requirements a caller may meet, any one of them: a key scheme (so a key header) and the
 * roles the key needs, as the requirement's scopes (`- ApiKeyAuth: [admin]`). An operation that
 * declares no roles is a start-up error, never an open door.
 */
import type { RequestHandler } from 'express';
import { KEY_HEADERS, requirePrincipal, type KeyHeader, type KeyRing, type Principal } from './auth.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof METHODS)[number];

/** One way to be let in: a key of this header's kind with every one of these roles. */
export interface AccessRequirement {
  header: KeyHeader;
  roles: readonly string[];
}

export interface OperationAccess {
  operationId: string;
  method: HttpMethod;
  /** The spec's path template, `/v1/…/{credential_id}`. */
  path: string;
  /** The same as an Express route, `/v1/…/:credential_id`: where it is served, and its `route` label in metrics. */
  route: string;
  /** Any one of them lets a caller in. */
  requirements: readonly AccessRequirement[];
  /** What a 403 says the operation needs: `admin`, `admin or connections`. */
  requiredRole: string;
}

declare global {
  namespace Express {
    interface Locals {
      /** The spec operation the request was matched to, set before its key is checked. */
      operation?: OperationAccess;
    }
  }
}

/** The spec says nothing usable about who may call one or more operations. */
export class AccessDeclarationError extends Error {
  override readonly name = 'AccessDeclarationError';
  constructor(readonly problems: readonly string[]) {
    super(`The spec does not say who may call every operation:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const HOW = 'give it a `security` requirement per key scheme, with the roles as its scopes (`- ApiKeyAuth: [admin]`)';

/**
 * Every operation of the spec with the requirements it declares. Throws AccessDeclarationError
 * naming each operation that declares no roles, or declares them in a way no key can meet.
 */
export function readOperationAccess(spec: Json): OperationAccess[] {
  const schemes = isObject(spec.components) && isObject(spec.components.securitySchemes) ? spec.components.securitySchemes : {};
  const problems: string[] = [];
  const operations: OperationAccess[] = [];
  for (const [path, item] of Object.entries(isObject(spec.paths) ? spec.paths : {})) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const name = `${typeof operation.operationId === 'string' ? operation.operationId : '(no operationId)'} (${method.toUpperCase()} ${path})`;
      const declared = operation.security ?? spec.security;
      if (!Array.isArray(declared) || declared.length === 0) {
        problems.push(`${name} declares no roles: ${HOW}`);
        continue;
      }
      const requirements: AccessRequirement[] = [];
      for (const requirement of declared) {
        const entries = isObject(requirement) ? Object.entries(requirement) : [];
        if (entries.length !== 1) {
          problems.push(`${name}: each security requirement names exactly one key scheme (a caller presents one key), got ${JSON.stringify(requirement)}`);
          continue;
        }
        const [schemeName, scopes] = entries[0]!;
        const scheme = schemes[schemeName];
        const header = isObject(scheme) && scheme.type === 'apiKey' && scheme.in === 'header' ? KEY_HEADERS.find((h) => h.toLowerCase() === String(scheme.name).toLowerCase()) : undefined;
        if (header === undefined) {
          problems.push(`${name}: security scheme ${schemeName} is not an API key in one of the headers ${KEY_HEADERS.join(', ')}`);
          continue;
        }
        if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s): s is string => typeof s === 'string' && s !== '')) {
          problems.push(`${name} declares no roles for ${schemeName}: ${HOW}`);
          continue;
        }
        requirements.push({ header, roles: scopes });
      }
      if (requirements.length !== declared.length) continue;
      const alternatives = [...new Set(requirements.map((r) => r.roles.join(' and ')))];
      operations.push({
        operationId: typeof operation.operationId === 'string' ? operation.operationId : `${method} ${path}`,
        method,
        path,
        route: path.replace(/\{([^}]+)\}/g, ':$1'),
        requirements,
        requiredRole: alternatives.join(' or '),
      });
    }
  }
  if (problems.length > 0) throw new AccessDeclarationError(problems);
  // Concrete segments before templated ones (`/a/b` before `/a/{id}`), as OpenAPI matches paths:
  // routes are served in this order.
  const shape = (path: string) => path.split('/').map((segment) => (segment.startsWith('{') ? '1' : '0')).join('');
  return operations.sort((a, b) => shape(a.path).localeCompare(shape(b.path)));
}

/** Does one of the operation's requirements accept this key? */
export const meets = (principal: Principal, requirements: readonly AccessRequirement[]) =>
  requirements.some((r) => r.header === principal.header && r.roles.every((role) => principal.roles.includes(role)));

/**
 * First middleware of an operation's route: marks the request as this operation, so metrics count
 * it, refusals included, under the operation's route. When another operation's route matched first
 * (overlapping templates), this route is skipped.
 */
export function matchOperation(operation: OperationAccess): RequestHandler {
  return (_req, res, next) => {
    if (res.locals.operation !== undefined) return next('route');
    res.locals.operation = operation;
    next();
  };
}

/**
 * Express middleware for one operation: lets in a key that meets one of its requirements, else
 * 401/403. Which keys those are is worked out here, at start.
 */
export function authorizeOperation(keyRing: KeyRing, operation: OperationAccess): RequestHandler {
  return requirePrincipal(keyRing, (principal) => meets(principal, operation.requirements), operation.requiredRole);
}

/**
 * Express middleware for the paths under the API that are no operation: the caller still needs
 * a key that some operation accepts (an unauthenticated caller learns nothing about what exists);
 * the validator then answers 404 or 405.
 */
export function authorizeUnknownPath(keyRing: KeyRing, operations: readonly OperationAccess[]): RequestHandler {
  const roles = [...new Set(operations.flatMap((o) => o.requirements.flatMap((r) => r.roles)))];
  const check = requirePrincipal(keyRing, (principal) => operations.some((o) => meets(principal, o.requirements)), roles.join(' or '));
  return (req, res, next) => (res.locals.operation !== undefined ? next() : check(req, res, next));
}
