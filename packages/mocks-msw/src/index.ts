export { createHandlers, aitronosHandlers, composioHandlers, createAitronosHttp, createComposioHttp, requestViolations, type ApiHandlerOptions } from './handlers.js';
export type { Violation } from './validate.js';
export { useScenario, resetScenario, parsePrefer, type Preference } from './prefer.js';
export { scenariosOf, specs, type ApiName, type Scenario } from './spec.js';
