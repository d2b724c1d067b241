// The sidecar proxy's public face.
export { runProxy, startProxy, ProxyServer, DEFAULT_DRAIN_TIME_S } from './server.js';
export type { ProxyOptions } from './server.js';
export { proxyCommand } from './cli.js';
export { ConfigError } from './config/errors.js';
export { decodeBootstrap, loadBootstrapFile, parseBootstrapText } from './config/bootstrap.js';
export { decodeMessage, decodeAny } from './config/proto-json.js';
export { decodeResourceJson, decodeResourceBytes, decodeListener, decodeCluster, decodeClusterLoadAssignment, messageToJson } from './config/resources.js';
export type { Json, JsonObject, FieldPolicy } from './config/proto-json.js';
export { proxyFieldPolicy, supportFields } from './config/support.js';
export { typeUrls, envoyRoot, lookupMessage } from './config/protos.js';
export type * from './config/types.js';
export { setOriginalDstLookup } from './listener-filters/index.js';
