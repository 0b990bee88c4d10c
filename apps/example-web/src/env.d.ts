/** `mock` (MSW in the page) or `proxy` (Vite's proxy to a real server); see vite.config.ts. */
declare const __EXAMPLE_WEB_BACKEND__: 'mock' | 'proxy';
