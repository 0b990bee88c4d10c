export { startPrism, type PrismProcess, type StartPrismOptions } from './prism.js';
export { startMocks, DEFAULT_MOCK_PORTS, type MockServers, type StartMocksOptions } from './mocks.js';
