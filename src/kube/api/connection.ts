// Where the Kubernetes API is and how to prove who we are to it: from inside a pod (the
// service-account mount) or from a kubeconfig's current context. Parsing a kubeconfig is pure
// (resolveKubeconfig: the document and its directory in, file references out); reading the files
// it names is the thin shell (loadKubeconfig, inClusterConnection).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export class KubeConfigError extends Error {}

/** Bytes given inline or as a file to read (resolved against the kubeconfig's directory). */
export type Material = { data: Buffer } | { file: string };

/** Everything needed to open a TLS connection to the API server and authenticate on it. */
export interface KubeConnection {
  /** https://host:port, possibly with a path prefix (a proxy in front of the API server). */
  server: URL;
  /** PEM bundle trusted for the server's certificate; Node's default roots when absent. */
  ca?: Buffer;
  /** Client certificate and key (PEM), for clusters that authenticate by certificate. */
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  /** SNI and verification name when it differs from the server's host. */
  tlsServerName?: string;
  /**
   * The bearer token, asked for on every request: a service-account token is rotated by the
   * kubelet (projected tokens live an hour), so a token read once would expire under us.
   */
  token?: () => string | undefined;
  /** The context's namespace, or the pod's own namespace in a cluster. */
  namespace?: string;
}

/** A kubeconfig context reduced to what the client uses, with file references not yet read. */
export interface ResolvedKubeconfig {
  contextName: string;
  server: string;
  ca?: Material;
  cert?: Material;
  key?: Material;
  token?: Material;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  namespace?: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function named(list: unknown, name: string, what: string, key: string, source: string): Json {
  const entries = Array.isArray(list) ? list.filter(isObject) : [];
  const entry = entries.find((e) => e['name'] === name);
  if (!entry) throw new KubeConfigError(`${source}: no ${what} named "${name}"`);
  const body = entry[key];
  // A context, cluster or user with nothing set is legal (e.g. a user with no credentials).
  return isObject(body) ? body : {};
}

function material(section: Json, dataKey: string, fileKey: string, baseDir: string, source: string): Material | undefined {
  const data = section[dataKey];
  if (typeof data === 'string' && data !== '') {
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length === 0) throw new KubeConfigError(`${source}: ${dataKey} is not base64`);
    return { data: bytes };
  }
  const file = section[fileKey];
  // kubectl resolves relative paths against the kubeconfig's own directory, not the process's.
  if (typeof file === 'string' && file !== '') return { file: path.resolve(baseDir, file) };
  return undefined;
}

/**
 * The current context (or the named one) of a kubeconfig document. Only what a controller in
 * or near a cluster needs: server, CA, client certificate, token; exec and auth-provider
 * plugins are refused with a clear error rather than silently sending no credentials.
 */
export function resolveKubeconfig(text: string, baseDir: string, options: { context?: string; source?: string } = {}): ResolvedKubeconfig {
  const source = options.source ?? 'kubeconfig';
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new KubeConfigError(`${source}: not YAML: ${(error as Error).message}`);
  }
  if (!isObject(doc)) throw new KubeConfigError(`${source}: not a kubeconfig (expected a map with clusters, users and contexts)`);
  const contextName = options.context ?? (typeof doc['current-context'] === 'string' ? doc['current-context'] : '');
  if (contextName === '') throw new KubeConfigError(`${source}: no current-context set`);
  const context = named(doc['contexts'], contextName, 'context', 'context', source);
  const clusterName = typeof context['cluster'] === 'string' ? context['cluster'] : '';
  if (clusterName === '') throw new KubeConfigError(`${source}: context "${contextName}" names no cluster`);
  const cluster = named(doc['clusters'], clusterName, 'cluster', 'cluster', source);
  const userName = typeof context['user'] === 'string' ? context['user'] : '';
  const user = userName !== '' ? named(doc['users'], userName, 'user', 'user', source) : {};
  const server = typeof cluster['server'] === 'string' ? cluster['server'] : '';
  if (server === '') throw new KubeConfigError(`${source}: cluster "${clusterName}" has no server`);
  try {
    new URL(server);
  } catch {
    throw new KubeConfigError(`${source}: cluster "${clusterName}": invalid server URL "${server}"`);
  }
  for (const plugin of ['exec', 'auth-provider'] as const) {
    if (user[plugin] !== undefined) throw new KubeConfigError(`${source}: user "${userName}" uses an ${plugin} plugin, which Outrigger does not run; use a token or a client certificate`);
  }
  if (user['username'] !== undefined || user['password'] !== undefined) throw new KubeConfigError(`${source}: user "${userName}" uses basic authentication, which Kubernetes removed; use a token or a client certificate`);
  const token = typeof user['token'] === 'string' && user['token'] !== ''
    ? { data: Buffer.from(user['token']) }
    : typeof user['tokenFile'] === 'string' && user['tokenFile'] !== '' ? { file: path.resolve(baseDir, user['tokenFile']) } : undefined;
  const ca = material(cluster, 'certificate-authority-data', 'certificate-authority', baseDir, source);
  const cert = material(user, 'client-certificate-data', 'client-certificate', baseDir, source);
  const key = material(user, 'client-key-data', 'client-key', baseDir, source);
  if ((cert === undefined) !== (key === undefined)) throw new KubeConfigError(`${source}: user "${userName}" has a client ${cert ? 'certificate without a key' : 'key without a certificate'}`);
  return {
    contextName,
    server,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(token ? { token } : {}),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    ...(typeof cluster['tls-server-name'] === 'string' ? { tlsServerName: cluster['tls-server-name'] } : {}),
    ...(typeof context['namespace'] === 'string' && context['namespace'] !== '' ? { namespace: context['namespace'] } : {}),
  };
}

function readMaterial(m: Material, what: string): Buffer {
  if ('data' in m) return m.data;
  try {
    return readFileSync(m.file);
  } catch (error) {
    throw new KubeConfigError(`${what}: cannot read ${JSON.stringify(m.file)}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** A token file re-read when asked, keeping the last good token if a rotation is caught half-written. */
function fileToken(file: string): () => string | undefined {
  let last: string | undefined;
  return () => {
    try {
      const text = readFileSync(file, 'utf8').trim();
      if (text !== '') last = text;
    } catch {
      // The kubelet swaps the ..data symlink; a read in that instant fails, the old token still works.
    }
    return last;
  };
}

/** The connection a kubeconfig file describes (its current context unless one is named). */
export function loadKubeconfig(file: string, options: { context?: string } = {}): KubeConnection {
  const text = readMaterial({ file: path.resolve(file) }, 'kubeconfig').toString('utf8');
  const resolved = resolveKubeconfig(text, path.dirname(path.resolve(file)), { ...options, source: file });
  const what = (field: string) => `${file}: ${field}`;
  let token: (() => string | undefined) | undefined;
  if (resolved.token && 'file' in resolved.token) {
    const reader = fileToken(resolved.token.file);
    if (reader() === undefined) throw new KubeConfigError(`${what('tokenFile')}: cannot read ${JSON.stringify(resolved.token.file)}`);
    token = reader;
  } else if (resolved.token) {
    const value = resolved.token.data.toString('utf8');
    token = () => value;
  }
  return {
    server: new URL(resolved.server),
    ...(resolved.ca ? { ca: readMaterial(resolved.ca, what('certificate-authority')) } : {}),
    ...(resolved.cert ? { cert: readMaterial(resolved.cert, what('client-certificate')) } : {}),
    ...(resolved.key ? { key: readMaterial(resolved.key, what('client-key')) } : {}),
    ...(resolved.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    ...(resolved.tlsServerName !== undefined ? { tlsServerName: resolved.tlsServerName } : {}),
    ...(token ? { token } : {}),
    ...(resolved.namespace !== undefined ? { namespace: resolved.namespace } : {}),
  };
}

export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The connection of a pod to its own cluster: KUBERNETES_SERVICE_HOST/PORT, and the
 * service-account token, CA and namespace the kubelet mounts. The directory is a parameter so
 * that tests can point it at a temporary one.
 */
export function inClusterConnection(env: Readonly<Record<string, string | undefined>> = process.env, dir = serviceAccountDir): KubeConnection {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) throw new KubeConfigError('not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (give --kubeconfig)');
  const tokenFile = path.join(dir, 'token');
  const token = fileToken(tokenFile);
  if (token() === undefined) throw new KubeConfigError(`in-cluster config: cannot read the service-account token ${tokenFile}`);
  let namespace: string | undefined;
  try {
    namespace = readFileSync(path.join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    // Optional: only a default for callers that do not name a namespace.
  }
  // An IPv6 service address needs brackets in a URL.
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    server: new URL(`https://${hostPart}:${port}`),
    ca: readMaterial({ file: path.join(dir, 'ca.crt') }, 'in-cluster config'),
    token,
    ...(namespace !== undefined ? { namespace } : {}),
  };
}

/** --kubeconfig, else $KUBECONFIG (its first file), else the pod's own cluster; undefined when none applies. */
export function defaultConnection(options: { kubeconfig?: string; context?: string; env?: Readonly<Record<string, string | undefined>>; serviceAccountDir?: string } = {}): KubeConnection | undefined {
  const env = options.env ?? process.env;
  const file = options.kubeconfig ?? env['KUBECONFIG']?.split(path.delimiter).find((f) => f !== '');
  if (file !== undefined) return loadKubeconfig(file, options.context !== undefined ? { context: options.context } : {});
  if (env['KUBERNETES_SERVICE_HOST'] && env['KUBERNETES_SERVICE_PORT']) return inClusterConnection(env, options.serviceAccountDir);
  return undefined;
}
