import './provided.ts';
export { freePort } from './ports.ts';
export { startPrism, type PrismProcess, type StartPrismOptions } from '@connector-credentials/mocks';
export { createSpecValidator, type SpecValidator, type ValidationResult } from './spec-validator.ts';
export {
  loadVendorReference,
  vendorReferencePath,
  VENDOR_REFERENCES,
  type VendorEdition,
  vendorConnectedAccountSchema,
  vendorErrorSchema,
  vendorStateVariants,
  generateVendorPayloads,
  createVendorValidator,
  type VendorStateVariant,
  type VendorReading,
} from './vendor.ts';
export { repoRoot, openapiBundlePath } from './paths.ts';
export { startLoopbackServer, type LoopbackServer } from './loopback.ts';
export { sized, TEST_SIZE } from './size.ts';
export { createGate, waitUntil, metricValue, type Gate } from './gate.ts';
export { startPostgres, postgresBinDir, type PostgresServer } from './postgres.ts';
export { startRedis, type RedisServer } from './redis.ts';
export { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
export { pgliteDataDir, type PgliteDataDir } from './pglite.ts';
