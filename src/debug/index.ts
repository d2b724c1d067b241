// istioctl-style views of a proxy's configuration: pure renderers over Envoy's
// /config_dump and /clusters?format=json.
export { listenersOf, clustersOf, routesOf, bootstrapOf, toCamel } from './config-dump.js';
export { renderListeners, listenerRows, describeMatch, describeDestination } from './listeners.js';
export type { ListenerFilter } from './listeners.js';
export { renderRoutes, routeRows, routeDestinations, describeDomains, describeRouteMatch } from './routes.js';
export type { RouteFilter } from './routes.js';
export { renderClusters, clusterRows, renderEndpoints, endpointRows } from './clusters.js';
export type { ClusterFilter, EndpointFilter } from './clusters.js';
export { renderTable } from './table.js';
export { renderProxyStatus, proxyStatusRows, syncStatus, proxyName } from './proxy-status.js';
