// TanStack Query hooks of the connections operations, made with openapi-react-query over the
// client's own openapi-fetch instance (`client.raw`): the same base URL, headers, request ids,
// timeouts and transport as the rest of the client, and errors thrown as its `ApiError`.
import { useQueryClient, type QueryClient, type UseMutationOptions, type UseMutationResult, type UseQueryOptions, type UseQueryResult } from '@tanstack/react-query';
import type { Client } from 'openapi-fetch';
import createQueryHooks, { type OpenapiQueryClient } from 'openapi-react-query';
import {
  isApiError,
  throwApiErrors,
  unreadableAnswerError,
  type AitronosClient,
  type AitronosPaths,
  type ApiError,
  type ConnectionActiveState,
  type ConnectionList,
  type ErrorEnvelope,
} from '@connector-credentials/client';

/** `listConnections`: a tool's connections in an organization. */
export const LIST_CONNECTIONS = '/v1/personal-connectors/connections/{tool_key}' as const;
/** `setConnectionActive`: turns one connection on or off. */
export const SET_CONNECTION_ACTIVE = '/v1/personal-connectors/connections/{credential_id}/active' as const;

/** The spec's paths these hooks reach: the connection operations only, never an admin one. */
export type ConnectionsPaths = Pick<AitronosPaths, typeof LIST_CONNECTIONS | typeof SET_CONNECTION_ACTIVE>;

/** What every hook fails with: the client's error, with the envelope's code, trace id and details. */
export type ConnectionsError = ApiError<ErrorEnvelope>;

type ToggleOperation = AitronosPaths[typeof SET_CONNECTION_ACTIVE]['patch'];
type ListOperation = AitronosPaths[typeof LIST_CONNECTIONS]['get'];

/** The request of `setConnectionActive`, as openapi-fetch takes it (what `mutate` takes), from the spec's types. */
export type SetConnectionActiveVariables = {
  params: { path: ToggleOperation['parameters']['path'] };
  body: NonNullable<ToggleOperation['requestBody']>['content']['application/json'];
};

/** The list's request, as openapi-fetch takes it (the third part of its query key), from the spec's types. */
export type ListConnectionsInit = {
  params: { path: ListOperation['parameters']['path']; query: ListOperation['parameters']['query'] };
};

const listInit = (toolKey: string, organizationId: string): ListConnectionsInit => ({
  params: { path: { tool_key: toolKey }, query: { organization_id: organizationId } },
});

/**
 * Query keys, as openapi-react-query makes them from the spec's operation: `[method, path, init]`.
 * `all()` is the prefix of every connection list (any tool, any organization).
 */
export const connectionKeys = {
  all: () => ['get', LIST_CONNECTIONS] as const,
  list: (toolKey: string, organizationId: string) => ['get', LIST_CONNECTIONS, listInit(toolKey, organizationId)] as const,
};

export type ConnectionListKey = ReturnType<typeof connectionKeys.list>;

/**
 * How long an error answer asks to wait before another try, in ms: its `Retry-After` header,
 * else the envelope's `details.retry_after_seconds`; undefined when it says nothing.
 */
export function retryAfterMs(error: unknown): number | undefined {
  if (!isApiError(error)) return undefined;
  if (error.retryAfterMs !== undefined) return error.retryAfterMs;
  const seconds = error.details?.retry_after_seconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** How many times a 429 or 503 that says how long to wait is tried again. */
export const ASKED_RETRIES = 3;
/** The longest wait asked that is waited out; an error that asks for more is shown at once. */
export const MAX_ASKED_WAIT_MS = 60_000;

/**
 * TanStack Query's `retry` and `retryDelay` of every hook here: a 429 or 503 that says how long to
 * wait (at most `MAX_ASKED_WAIT_MS`) is tried again after exactly that wait (up to
 * `ASKED_RETRIES` times); every other error is shown at once. Create the client with
 * `retry: { retries: 0 }` so the page, not the transport, does the waiting (and can show it).
 */
export const retryWhenAsked = {
  retry: (failureCount: number, error: unknown): boolean => {
    const wait = retryAfterMs(error);
    return failureCount < ASKED_RETRIES && isApiError(error) && (error.status === 429 || error.status === 503) && wait !== undefined && wait <= MAX_ASKED_WAIT_MS;
  },
  retryDelay: (_failureCount: number, error: unknown): number => retryAfterMs(error) ?? 1_000,
};

/**
 * The toggle's mutation options besides its cache handlers: waiting when asked, and one scope for
 * every toggle, so TanStack Query runs them one after another. A toggle waiting out a 429 is then
 * never sent after one the user made later, which would undo it.
 */
export const setConnectionActiveDefaults = { ...retryWhenAsked, scope: { id: 'setConnectionActive' } };

/** What `onMutate` keeps to roll the lists back: every cached list as it was. */
export interface ToggleSnapshot {
  previous: Array<[readonly unknown[], ConnectionList | undefined]>;
}

const withActive = (list: ConnectionList | undefined, id: string, isActive: boolean): ConnectionList | undefined =>
  list && { ...list, connections: list.connections.map((c) => (c.id === id ? { ...c, is_active: isActive } : c)) };

/**
 * The cache side of `setConnectionActive`: the lists show the new state at once (optimistic),
 * take the server's answer on success, go back to what they were on error, and are fetched
 * again when the call settles either way.
 */
export function setConnectionActiveHandlers(queryClient: QueryClient) {
  return {
    async onMutate(variables: SetConnectionActiveVariables): Promise<ToggleSnapshot> {
      await queryClient.cancelQueries({ queryKey: connectionKeys.all() });
      const previous = queryClient.getQueriesData<ConnectionList>({ queryKey: connectionKeys.all() });
      queryClient.setQueriesData<ConnectionList>({ queryKey: connectionKeys.all() }, (list) =>
        withActive(list, variables.params.path.credential_id, variables.body.is_active),
      );
      return { previous };
    },
    onSuccess(data: ConnectionActiveState | undefined): void {
      if (data) queryClient.setQueriesData<ConnectionList>({ queryKey: connectionKeys.all() }, (list) => withActive(list, data.id, data.is_active));
    },
    onError(_error: ConnectionsError, _variables: SetConnectionActiveVariables, snapshot: ToggleSnapshot | undefined): void {
      for (const [key, data] of snapshot?.previous ?? []) queryClient.setQueryData(key, data);
    },
    onSettled(): Promise<void> {
      return queryClient.invalidateQueries({ queryKey: connectionKeys.all() });
    },
  };
}

export type ListQueryOptions = Omit<UseQueryOptions<ConnectionList, ConnectionsError, ConnectionList, ConnectionListKey>, 'queryKey' | 'queryFn'>;
export type ToggleMutationOptions = Omit<
  UseMutationOptions<ConnectionActiveState, ConnectionsError, SetConnectionActiveVariables, ToggleSnapshot>,
  'mutationKey' | 'mutationFn' | 'onMutate' | 'onSuccess' | 'onError' | 'onSettled'
>;

export interface ConnectionsHooks {
  /** openapi-react-query's hooks over the connection paths, for anything the named hooks do not cover. */
  readonly $api: OpenapiQueryClient<ConnectionsPaths>;
  /** The client's openapi-fetch instance, limited to the connection paths, throwing `ApiError` for non-2xx answers. */
  readonly fetchClient: Client<ConnectionsPaths>;
  /** The list's query options (key, fetch, retry policy), for `queryClient.fetchQuery`, `prefetchQuery` or loaders. */
  listOptions(toolKey: string, organizationId: string, options?: ListQueryOptions): UseQueryOptions<ConnectionList, ConnectionsError, ConnectionList, ConnectionListKey>;
  /** `GET /v1/personal-connectors/connections/{tool_key}?organization_id=…`. */
  useConnections(toolKey: string, organizationId: string, options?: ListQueryOptions): UseQueryResult<ConnectionList, ConnectionsError>;
  /** `PATCH /v1/personal-connectors/connections/{credential_id}/active`, optimistic on every cached list. */
  useSetConnectionActive(options?: ToggleMutationOptions): UseMutationResult<ConnectionActiveState, ConnectionsError, SetConnectionActiveVariables, ToggleSnapshot>;
}

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'] as const;
type Call = (path: string, init?: { middleware?: unknown[] }) => Promise<unknown>;
type RequestCall = (method: string, path: string, init?: { middleware?: unknown[] }) => Promise<unknown>;
const CONNECTION_PATHS: ReadonlySet<string> = new Set([LIST_CONNECTIONS, SET_CONNECTION_ACTIVE]);

/** Refuses, at run time too, a path that is not a connection path: an admin operation is never reached through the hooks. */
function connectionPath(path: string): string {
  if (!CONNECTION_PATHS.has(path)) throw new TypeError(`${path} is not a connection path: the hooks reach ${[...CONNECTION_PATHS].join(' and ')} only`);
  return path;
}

/**
 * `raw`, limited to the connection paths (in its types and when called), with `throwApiErrors`
 * on each call. Its middleware is the client's own: `use` and `eject` act on the client the hooks
 * were made from.
 */
function throwingClient(raw: Client<AitronosPaths>): Client<ConnectionsPaths> {
  const client: Record<string, unknown> = { use: raw.use.bind(raw), eject: raw.eject.bind(raw) };
  const withErrors = (init: { middleware?: unknown[] } = {}) => ({ ...init, middleware: [...(init.middleware ?? []), throwApiErrors] });
  // Every failure is an ApiError: a 2xx that is not JSON (openapi-fetch's parse throws) too.
  const asApiError = (cause: unknown): never => {
    throw isApiError(cause) ? cause : unreadableAnswerError({ requestId: undefined, cause });
  };
  for (const method of METHODS) {
    const call = (raw[method] as unknown as Call).bind(raw);
    client[method] = (path: string, init?: { middleware?: unknown[] }) => call(connectionPath(path), withErrors(init)).catch(asApiError);
  }
  const request = (raw.request as unknown as RequestCall).bind(raw);
  client.request = (method: string, path: string, init?: { middleware?: unknown[] }) => request(method, connectionPath(path), withErrors(init)).catch(asApiError);
  return client as unknown as Client<ConnectionsPaths>;
}

/**
 * The hooks of one Aitronos client. Create the client with `retry: { retries: 0 }` (see
 * `retryWhenAsked`) and whatever headers your backend needs; in a browser, a base URL on your own
 * origin whose backend adds the key: the key never belongs in a page.
 */
export function createConnectionsHooks(client: AitronosClient): ConnectionsHooks {
  const fetchClient = throwingClient(client.raw);
  const $api = createQueryHooks(fetchClient);

  const listOptions = (toolKey: string, organizationId: string, options: ListQueryOptions = {}) =>
    $api.queryOptions('get', LIST_CONNECTIONS, listInit(toolKey, organizationId), {
      ...retryWhenAsked,
      ...(options as object),
    }) as unknown as UseQueryOptions<ConnectionList, ConnectionsError, ConnectionList, ConnectionListKey>;

  return {
    $api,
    fetchClient,
    listOptions,
    useConnections: (toolKey, organizationId, options) =>
      $api.useQuery('get', LIST_CONNECTIONS, listInit(toolKey, organizationId), {
        ...retryWhenAsked,
        ...(options as object),
      }) as unknown as UseQueryResult<ConnectionList, ConnectionsError>,
    useSetConnectionActive(options = {}) {
      const queryClient = useQueryClient();
      return $api.useMutation('patch', SET_CONNECTION_ACTIVE, {
        ...setConnectionActiveDefaults,
        ...(options as object),
        ...setConnectionActiveHandlers(queryClient),
      } as never) as unknown as UseMutationResult<ConnectionActiveState, ConnectionsError, SetConnectionActiveVariables, ToggleSnapshot>;
    },
  };
}

export { ApiError, isApiError } from '@connector-credentials/client';
export type { ConnectionActiveState, ConnectionList, ConnectionSummary, ErrorEnvelope } from '@connector-credentials/client';
