// A FAKE Kubernetes API server, for tests only: no real API server can run here, so this stands
// in for one. It speaks HTTPS on 127.0.0.1 with a CA made for the test, authenticates by bearer
// token or client certificate, and serves list and watch for ConfigMaps and Nodes with the
// behaviour our client depends on: resourceVersions, a history that watches resume from, 410
// for versions that fell out of it (as an ERROR event or as an HTTP status), pagination with
// limit/continue, fieldSelector=metadata.name=…, 401/403 Status answers. Tests push ADDED,
// MODIFIED and DELETED events, drop watch connections, and make requests fail.
import { webcrypto } from 'node:crypto';
import { once } from 'node:events';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { createCertificateAuthority, issueServingCertificate } from '../../src/webhook/certs.js';
import type { CertificateAuthority, PemKeyPair } from '../../src/webhook/certs.js';

type Json = Record<string, unknown>;
export type FakeResource = 'configmaps' | 'nodes';

interface Stored {
  resource: FakeResource;
  namespace: string;
  name: string;
  object: Json;
}

interface HistoryEntry extends Stored {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
}

interface Watcher {
  resource: FakeResource;
  namespace: string;
  name: string | undefined;
  res: ServerResponse;
}

export interface FakeKubeApiOptions {
  /** Bearer tokens accepted; none means no authentication is asked for. */
  tokens?: string[];
  /** Also accept client certificates signed by the fake's CA. */
  clientCertificates?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  clientCertificate: boolean;
}

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  /** Bearer tokens accepted (tests add a rotated one and remove the old). */
  readonly tokens: Set<string>;
  /** Resources whose list and watch answer 403 Forbidden. */
  readonly forbidden = new Set<FakeResource>();
  /** When true, a watch from a compacted version gets HTTP 410 instead of an ERROR event. */
  goneAsStatus = false;
  private readonly objects = new Map<string, Stored>();
  private history: HistoryEntry[] = [];
  private compactedBelow = 0;
  private rv = 100;
  private readonly watchers = new Set<Watcher>();
  private failures: number[] = [];

  private constructor(
    private readonly server: https.Server,
    readonly ca: CertificateAuthority,
    readonly port: number,
    private readonly options: FakeKubeApiOptions,
  ) {
    this.tokens = new Set(options.tokens ?? []);
  }

  static async start(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
    const ca = await createCertificateAuthority({ commonName: 'fake kube-apiserver test CA' });
    const serving = await issueServingCertificate(ca, { dnsNames: ['localhost', 'kubernetes.default.svc'], ipAddresses: ['127.0.0.1'] });
    const server = https.createServer({
      cert: serving.cert,
      key: serving.key,
      ca: ca.cert,
      requestCert: options.clientCertificates === true,
      // Verified per request instead, so that a token-only client is not refused at the handshake.
      rejectUnauthorized: false,
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const fake = new FakeKubeApi(server, ca, typeof address === 'object' && address ? address.port : 0, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fake.handle(req, res));
    return fake;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** A client certificate (clientAuth) signed by the fake's CA, for kubeconfig tests. */
  async issueClientCertificate(commonName = 'outrigger-test'): Promise<PemKeyPair> {
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
    const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = Date.now();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: '0a0b0c',
      subject: `CN=${commonName}, O=system:masters`,
      issuer: this.ca.certificate.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      publicKey: keys.publicKey,
      signingKey: this.ca.privateKey,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ],
    });
    const key = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
    return { cert: certificate.toString('pem'), key };
  }

  /** Creates or replaces an object: an ADDED or MODIFIED event. Returns its resourceVersion. */
  put(resource: FakeResource, object: Json): string {
    const metadata = { ...((object['metadata'] as Json | undefined) ?? {}) };
    const name = String(metadata['name']);
    const namespace = resource === 'nodes' ? '' : String(metadata['namespace'] ?? 'default');
    const key = `${resource}/${namespace}/${name}`;
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    const rv = ++this.rv;
    const stored: Stored = {
      resource,
      namespace,
      name,
      object: {
        apiVersion: 'v1',
        kind: resource === 'nodes' ? 'Node' : 'ConfigMap',
        ...object,
        metadata: { ...metadata, ...(namespace !== '' ? { namespace } : {}), resourceVersion: String(rv), uid: `uid-${name}` },
      },
    };
    this.objects.set(key, stored);
    this.record({ ...stored, rv, type });
    return String(rv);
  }

  /** Deletes an object: a DELETED event carrying its last state. */
  remove(resource: FakeResource, namespace: string, name: string): void {
    const key = `${resource}/${resource === 'nodes' ? '' : namespace}/${name}`;
    const stored = this.objects.get(key);
    if (!stored) throw new Error(`fake kube API: no ${key}`);
    this.objects.delete(key);
    const rv = ++this.rv;
    this.record({ ...stored, object: { ...stored.object, metadata: { ...(stored.object['metadata'] as Json), resourceVersion: String(rv) } }, rv, type: 'DELETED' });
  }

  /**
   * Forgets the history so far, as etcd compaction does: a watch from any earlier version gets
   * 410 Gone. With `notifyWatches`, open watches get the ERROR event now, as a real server
   * sends when its watch cache can no longer serve them.
   */
  compact(options: { notifyWatches?: boolean } = {}): void {
    this.compactedBelow = this.rv + 1;
    this.history = [];
    if (options.notifyWatches) {
      for (const watcher of this.watchers) {
        watcher.res.end(`${JSON.stringify({ type: 'ERROR', object: goneStatus() })}\n`);
        this.watchers.delete(watcher);
      }
    }
  }

  /** Cuts every open watch connection without ending its response: a network drop. */
  dropWatches(): void {
    for (const watcher of this.watchers) watcher.res.socket?.destroy();
    this.watchers.clear();
  }

  /** The next `count` requests answer with this status (500 by default). */
  failNext(count: number, status = 500): void {
    for (let i = 0; i < count; i++) this.failures.push(status);
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.res.socket?.destroy();
    this.watchers.clear();
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }

  private record(entry: HistoryEntry): void {
    this.history.push(entry);
    for (const watcher of this.watchers) {
      if (matches(watcher, entry)) watcher.res.write(`${JSON.stringify({ type: entry.type, object: entry.object })}\n`);
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://fake');
    const clientCertificate = (req.socket as TLSSocket).authorized === true;
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization, clientCertificate });
    const failure = this.failures.shift();
    if (failure !== undefined) return status(res, failure, 'InternalError', 'fake kube API: injected failure');
    if (this.tokens.size > 0 || this.options.clientCertificates) {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!(clientCertificate || (token !== undefined && this.tokens.has(token)))) return status(res, 401, 'Unauthorized', 'Unauthorized');
    }
    if (req.method !== 'GET') return status(res, 405, 'MethodNotAllowed', `${req.method} is not supported by the fake`);
    const route = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?(configmaps|nodes)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!route) return status(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    const [, namespace = '', resource, name] = route as unknown as [string, string | undefined, FakeResource, string | undefined];
    if ((resource === 'nodes') !== (namespace === '')) return status(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    if (this.forbidden.has(resource)) {
      const scopeText = namespace === '' ? 'at the cluster scope' : `in the namespace "${namespace}"`;
      return status(res, 403, 'Forbidden', `${resource} is forbidden: User "system:serviceaccount:istio-system:istiod" cannot ${url.searchParams.get('watch') ? 'watch' : 'list'} resource "${resource}" in API group "" ${scopeText}`);
    }
    if (name !== undefined) {
      const stored = this.objects.get(`${resource}/${namespace}/${name}`);
      if (!stored) return status(res, 404, 'NotFound', `${resource} "${name}" not found`);
      return json(res, 200, stored.object);
    }
    const fieldSelector = url.searchParams.get('fieldSelector') ?? '';
    const selected = /^metadata\.name=(.+)$/.exec(fieldSelector)?.[1];
    if (fieldSelector !== '' && selected === undefined) return status(res, 400, 'BadRequest', `fake kube API: unsupported fieldSelector "${fieldSelector}"`);
    const watcher: Watcher = { resource, namespace, name: selected, res };
    if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true') return this.watch(watcher, url.searchParams);
    const items = [...this.objects.values()].filter((s) => matches(watcher, s)).map((s) => s.object);
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const offset = Number(url.searchParams.get('continue') || 0);
    const page = limit > 0 ? items.slice(offset, offset + limit) : items;
    const next = limit > 0 && offset + limit < items.length ? String(offset + limit) : undefined;
    return json(res, 200, { apiVersion: 'v1', kind: resource === 'nodes' ? 'NodeList' : 'ConfigMapList', metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) }, items: page });
  }

  private watch(watcher: Watcher, query: URLSearchParams): void {
    const from = query.get('resourceVersion');
    const fromRv = from === null || from === '' || from === '0' ? undefined : Number(from);
    if (fromRv !== undefined && fromRv < this.compactedBelow - 1) {
      if (this.goneAsStatus) return status(watcher.res, 410, 'Expired', `too old resource version: ${fromRv} (${this.compactedBelow})`);
      watcher.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      watcher.res.end(`${JSON.stringify({ type: 'ERROR', object: goneStatus(fromRv, this.compactedBelow) })}\n`);
      return;
    }
    watcher.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    watcher.res.flushHeaders();
    const replay = fromRv === undefined
      ? [...this.objects.values()].filter((s) => matches(watcher, s)).map((s) => ({ type: 'ADDED', object: s.object }))
      : this.history.filter((e) => e.rv > fromRv && matches(watcher, e)).map((e) => ({ type: e.type, object: e.object }));
    for (const event of replay) watcher.res.write(`${JSON.stringify(event)}\n`);
    this.watchers.add(watcher);
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
    const timer = timeoutSeconds > 0 ? setTimeout(() => watcher.res.end(), timeoutSeconds * 1000) : undefined;
    watcher.res.on('close', () => {
      clearTimeout(timer);
      this.watchers.delete(watcher);
    });
  }
}

function matches(watcher: Pick<Watcher, 'resource' | 'namespace' | 'name'>, stored: Stored): boolean {
  return stored.resource === watcher.resource && stored.namespace === watcher.namespace && (watcher.name === undefined || stored.name === watcher.name);
}

function goneStatus(fromRv?: number, compactedBelow?: number): Json {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `too old resource version: ${fromRv ?? 0} (${compactedBelow ?? 0})`, reason: 'Expired', code: 410 };
}

function json(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/** A Node object with the kubelet version the native-sidecar detection reads. */
export function node(name: string, kubeletVersion: string): Json {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name } }, status: { nodeInfo: { kubeletVersion, kubeProxyVersion: kubeletVersion, operatingSystem: 'linux', architecture: 'amd64' } } };
}

/** A ConfigMap in the fake's shape. */
export function configMap(namespace: string, name: string, data: Record<string, string>): Json {
  return { metadata: { name, namespace }, data };
}
