export type Api = 'aitronos' | 'composio';
/** Path of a bundled spec, `dist/<api>.json|yaml`. */
export declare function bundledSpecPath(api: Api, format?: 'json' | 'yaml'): string;
/** Path of the HTML reference docs Redocly built for a spec, `dist/docs/<api>.html`. */
export declare function docsPath(api: Api): string;
