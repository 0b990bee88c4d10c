export { diffSpecs, judge, majorOf, type ChangeKind, type GateVerdict, type SpecChange } from './classify.js';
export { normalizeSpec, dereference } from './normalize.js';
export { bundleSpecs, bundleSpecsAt, defaultRef, type Bundles } from './bundle.js';
export { formatVerdict } from './report.js';
export { bumpFor, pendingClientBump, writeSpecChangeset, CLIENT_PACKAGE, type Bump } from './changeset.js';
