// Importing this module registers every built-in listener filter.
import './original-dst.js';
import './tls-inspector.js';
import './http-inspector.js';

export * from './listener-filter.js';
export { setOriginalDstLookup, kernelOriginalDst } from './original-dst.js';
export type { OriginalDstLookup } from './original-dst.js';
