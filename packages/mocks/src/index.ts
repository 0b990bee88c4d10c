export { startPrism, type PrismProcess, type StartPrismOptions } from './prism.js';
export { bundledSpecPath } from './specs.js';
