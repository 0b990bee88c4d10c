// Values the global setup provides to tests through vitest's inject().
import type {} from 'vitest';
declare module 'vitest' {
  export interface ProvidedContext {
    aitronosMockUrl: string;
    composioMockUrl: string;
  }
}

export {};
