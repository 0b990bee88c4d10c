/** What the server accepts from Composio's body: bounded in size, and valid under our Composio spec. */
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { ApiError, REQUEST_ID_HEADER } from '@connector-credentials/client';
import type { ConnectedAccount } from '@connector-credentials/types';
import { loadSpec } from '../specs.js';
import { UpstreamBodyError } from './translate.js';

/**
 * A fetch that reads the body into memory and fails as soon as it passes `limit` bytes (announced
 * by Content-Length or streamed), so a huge answer costs neither time nor memory.
 */
export function cappedFetch(limit: number, baseFetch: (request: Request) => Promise<Response> = (r) => globalThis.fetch(r)) {
  return async (request: Request): Promise<Response> => {
    const response = await baseFetch(request);
    // An ApiError, so that the client passes it on as it is rather than as a network failure to retry.
    const tooLarge = () =>
      new ApiError({
        message: `The response body exceeds ${limit} bytes.`,
        code: 'RESPONSE_TOO_LARGE',
        status: response.status,
        requestId: request.headers.get(REQUEST_ID_HEADER) ?? undefined,
      });
    const announced = Number(response.headers.get('Content-Length') ?? Number.NaN);
    if (announced > limit) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    if (response.body === null || [204, 205, 304].includes(response.status)) return response;
    // An announced length within the limit bounds an unencoded body (the HTTP parser reads no
    // more than it): no need to count it. A compressed one is decoded by fetch, so it is counted.
    const encoding = response.headers.get('Content-Encoding');
    if (announced >= 0 && (encoding === null || encoding === 'identity')) return response;
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      size += next.value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(next.value);
    }
    return new Response(Buffer.concat(chunks, size), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** Checks a body against our hand-written Composio spec's `ConnectedAccount`, compiled once. */
export function accountChecker(): (body: unknown) => ConnectedAccount {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  ajvFormats.default(ajv);
  ajv.addSchema({ ...loadSpec('composio'), $id: 'composio' });
  const validate = ajv.compile<ConnectedAccount>({ $ref: 'composio#/components/schemas/ConnectedAccount' });
  return (body) => {
    if (validate(body)) return body;
    const first = validate.errors?.[0];
    throw new UpstreamBodyError(`Composio sent a connected account that breaks its contract (${first?.instancePath || '/'} ${first?.message ?? 'is invalid'})`, 200);
  };
}
