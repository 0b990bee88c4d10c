// The floor of the warm path: Express 5 with express-openapi-validator alone (the same copy the
// server runs, with the workspace's patch) on the bundled Aitronos spec, answering the same JSON
// object for the same GET by `tcred_` id. No auth (the validator's security checks off, as in the
// server, which enforces the spec's security itself), no rate limit, no logging, no metrics.
import { createRequire } from 'node:module';
import path from 'node:path';
import { bundledSpecPath } from '@connector-credentials/openapi';

// express and the validator as the server resolves them: one patched copy.
const serverRequire = createRequire(path.join(path.dirname(createRequire(import.meta.url).resolve('@connector-credentials/server/package.json')), 'package.json'));
const express = serverRequire('express');
const OpenApiValidator = serverRequire('express-openapi-validator');

const spec = structuredClone(serverRequire(bundledSpecPath('aitronos')));
const body = JSON.parse(process.env.BENCH_BODY ?? '{}');
const app = express();
app.use(
  OpenApiValidator.middleware({
    apiSpec: spec,
    validateRequests: { allowUnknownQueryParameters: false },
    validateResponses: false,
    validateSecurity: false,
    ignoreUndocumented: false,
  }),
);
app.get('/v1/personal-connectors/admin/credentials/:credential_id', (_req, res) => {
  res.json(body);
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
