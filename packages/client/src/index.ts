export { createAitronosClient, AITRONOS_KEY_HEADERS, type AitronosClient, type AitronosClientOptions, type AitronosKey } from './aitronos.js';
export { createComposioClient, type ComposioClient, type ComposioClientOptions, type ListConnectedAccountsQuery } from './composio.js';
export { ApiError, isApiError, noAnswerError, unreadableAnswerError, type ClientErrorCode, type ApiErrorInit, type NoAnswerCode } from './errors.js';
export { errorOfResponse, throwApiErrors, type AnswerHead } from './response.js';
export { parseRetryAfter, RETRY_STATUSES, REQUEST_ID_HEADER, type RetryOptions, type TransportOptions } from './transport.js';
export type { CallOptions, BaseClientOptions } from './options.js';
export type { Middleware } from 'openapi-fetch';
export type * from '@connector-credentials/types';
