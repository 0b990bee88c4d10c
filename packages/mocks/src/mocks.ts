import { startPrism, type PrismProcess } from './prism.js';

/** Documented default ports of `pnpm mock`. */
export const DEFAULT_MOCK_PORTS = { aitronos: 4011, composio: 4010 } as const;

export interface MockServers {
  aitronos: PrismProcess;
  composio: PrismProcess;
  stop(): Promise<void>;
}

export interface StartMocksOptions {
  /** Paths of the bundled specs. */
  specs: { aitronos: string; composio: string };
  ports?: { aitronos?: number; composio?: number };
  host?: string;
}

/**
 * Prism for both specs, as frontend teams use them: request validation and security enforced
 * (`--errors`: no key -> 401), CORS open to pages on other origins, examples picked with `Prefer`.
 */
export async function startMocks(options: StartMocksOptions): Promise<MockServers> {
  const host = options.host ?? '127.0.0.1';
  const aitronos = await startPrism({ spec: options.specs.aitronos, port: options.ports?.aitronos ?? DEFAULT_MOCK_PORTS.aitronos, host });
  let composio: PrismProcess;
  try {
    composio = await startPrism({ spec: options.specs.composio, port: options.ports?.composio ?? DEFAULT_MOCK_PORTS.composio, host });
  } catch (error) {
    await aitronos.stop();
    throw error;
  }
  return { aitronos, composio, stop: async () => void (await Promise.all([aitronos.stop(), composio.stop()])) };
}
