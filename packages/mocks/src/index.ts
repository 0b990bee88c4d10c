export { startPrism, type PrismProcess, type StartPrismOptions } from './prism.js';
