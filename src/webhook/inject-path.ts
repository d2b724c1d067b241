// Istio's injection URL carries per-cluster settings for the proxy, so that one injector can
// serve the API servers of several clusters and networks:
//   /inject/cluster/<cluster>/net/<network>[/<NAME>/<value>…]   values may spell "/" as --slash--
//   /inject/:ENV:cluster=<c>:ENV:net=<n>                         (older form, still accepted)
import { scope } from '../log/index.js';

const log = scope('webhook');

/** Whether a request path is served by the injector (/inject and anything below it). */
export function isInjectPath(path: string): boolean {
  return path === '/inject' || path.startsWith('/inject/');
}

/** The proxy environment a path asks for: cluster → ISTIO_META_CLUSTER_ID, net → ISTIO_META_NETWORK, others as named. */
export function parseInjectEnvs(path: string): Record<string, string> {
  const trimmed = path.replace(/\/+$/, '');
  const parts = trimmed.split('/');
  // ['', 'inject', rest…]: everything after /inject/ is the parameter list.
  const rest = parts.length >= 3 ? parts.slice(2).join('/') : '';
  let pairs: string[] = [];
  if (rest.startsWith(':ENV:')) {
    for (const item of rest.split(':ENV:').slice(1)) {
      const at = item.indexOf('=');
      // NAME=value and NAME= are valid; =value and a bare NAME are ignored.
      if (at > 0) pairs.push(item.slice(0, at), item.slice(at + 1));
    }
  } else if (rest !== '') {
    pairs = rest.split('/').map((value, i) => (i % 2 === 1 ? value.replaceAll('--slash--', '/') : value));
  }
  const envs: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) {
    const key = pairs[i]!;
    if (i === pairs.length - 1) {
      log.warn(`odd number of inject env entries in ${path}: ignoring the last key ${key}`);
      break;
    }
    const value = pairs[i + 1]!;
    if (key === 'cluster') envs['ISTIO_META_CLUSTER_ID'] = value;
    else if (key === 'net') envs['ISTIO_META_NETWORK'] = value;
    else envs[key] = value;
  }
  return envs;
}
