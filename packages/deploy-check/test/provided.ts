// Values the global setup provides to the suites through vitest's inject().
import type {} from 'vitest';
declare module 'vitest' {
  export interface ProvidedContext {
    /** The packaged server tree, .cache/package/server. */
    packageDir: string;
    /** The packaging step's last line (size, files, packages). */
    packageSummary: string;
  }
}

export {};
