// The ADS server: envoy.service.discovery.v3.AggregatedDiscoveryService over gRPC,
// state of the world. Each stream asks a source for its proxy's resources; the
// source says when they may have changed, and only types whose content changed
// are pushed again. Mesh logic lives in the source, not here.
import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { scope } from '../log/index.js';
import { packAny } from './codec.js';
import { protoIncludeDirs } from './protos.js';
import { SotwStream } from './sotw.js';
import type { WatchStatus } from './sotw.js';

const log = scope('ads');

type Json = unknown;
export type JsonObject = Record<string, Json>;

export interface Node {
  id: string;
  cluster?: string;
  metadata: JsonObject;
}

/** One connected proxy, as the source sees it. */
export interface ProxyWatch {
  /** The version of the configuration the resources are generated from. */
  version(): string;
  resources(typeUrl: string, names: readonly string[]): JsonObject[];
  /** Calls back when the configuration may have changed; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

export interface AdsSource {
  /** Throws to refuse the stream (e.g. a malformed node id). */
  connect(node: Node): ProxyWatch;
}

export interface StreamInfo {
  nodeId: string;
  connectedAt: string;
  watches: WatchStatus[];
}

export interface AdsServer {
  port: number;
  streams(): StreamInfo[];
  close(): Promise<void>;
}

let serviceDefinition: grpc.ServiceDefinition | undefined;

/** The ADS service definition from the real .proto (loaded once). */
export function adsServiceDefinition(): grpc.ServiceDefinition {
  if (serviceDefinition) return serviceDefinition;
  const definition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: protoIncludeDirs(),
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: { service: grpc.ServiceDefinition } } } } } };
  serviceDefinition = pkg.envoy.service.discovery.v3.AggregatedDiscoveryService.service;
  return serviceDefinition;
}

/** google.protobuf.Struct as proto-loader hands it over → plain JSON. */
export function structToJson(struct: unknown): JsonObject {
  const fields = (struct as { fields?: Record<string, unknown> } | undefined)?.fields ?? {};
  const value = (v: Record<string, unknown>): Json => {
    if (v['kind'] === 'nullValue' || 'nullValue' in v) return null;
    if ('numberValue' in v) return v['numberValue'];
    if ('stringValue' in v) return v['stringValue'];
    if ('boolValue' in v) return v['boolValue'];
    if ('structValue' in v) return structToJson(v['structValue']);
    if ('listValue' in v) return (((v['listValue'] as { values?: Record<string, unknown>[] }).values) ?? []).map(value);
    return null;
  };
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, value(v as Record<string, unknown>)]));
}

interface RawRequest {
  version_info?: string;
  node?: { id?: string; cluster?: string; metadata?: unknown };
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string } | null;
}

/** Ends a stream with a gRPC status (grpc-js takes it from an 'error' event). */
function refuse(call: grpc.ServerDuplexStream<unknown, unknown>, code: grpc.status, details: string): void {
  call.emit('error', { code, details, name: 'Error', message: details, metadata: new grpc.Metadata() });
}

// Sources hand the same resource objects to every proxy that shares a generation:
// each is hashed and encoded once, not once per proxy.
const resourceHashes = new WeakMap<object, string>();
const packedResources = new WeakMap<object, { type_url: string; value: Buffer }>();

function resourceHash(resource: JsonObject): string {
  let h = resourceHashes.get(resource);
  if (h === undefined) {
    h = createHash('sha1').update(JSON.stringify(resource)).digest('hex');
    resourceHashes.set(resource, h);
  }
  return h;
}

function hashOf(resources: readonly JsonObject[]): string {
  const hash = createHash('sha1');
  for (const resource of resources) hash.update(resourceHash(resource));
  return hash.digest('hex');
}

/** Types whose resources are subscribed by name (RDS, EDS): pushes may carry only what changed. */
const byName = new Set([
  'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
]);

function resourceName(resource: JsonObject): string {
  return String(resource['name'] ?? resource['clusterName'] ?? resource['cluster_name'] ?? '');
}

function packedResource(typeUrl: string, resource: JsonObject): { type_url: string; value: Buffer } {
  let any = packedResources.get(resource);
  if (!any || any.type_url !== typeUrl) {
    any = packAny(typeUrl, resource);
    packedResources.set(resource, any);
  }
  return any;
}

function parseAddress(address: string): string {
  // ":15010" means every interface, as pilot-discovery's flags do.
  return address.startsWith(':') ? `0.0.0.0${address}` : address;
}

export async function startAdsServer(options: { address: string; source: AdsSource }): Promise<AdsServer> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  const streams = new Map<grpc.ServerDuplexStream<RawRequest, unknown>, { info: StreamInfo; sotw: SotwStream }>();

  const handler = (call: grpc.ServerDuplexStream<RawRequest, unknown>) => {
    let watch: ProxyWatch | undefined;
    let unsubscribe: (() => void) | undefined;
    let nodeId = '';
    const sotw = new SotwStream();
    const perResourceHashes = new Map<string, Map<string, string>>();

    const send = (typeUrl: string, force: boolean) => {
      if (!watch) return;
      let resources: JsonObject[];
      try {
        resources = watch.resources(typeUrl, sotw.names(typeUrl));
      } catch (error) {
        log.error(`${nodeId}: cannot generate ${typeUrl}: ${(error as Error).message}`);
        return;
      }
      const hash = hashOf(resources);
      if (!force && !sotw.changed(typeUrl, hash)) return;
      const version = watch.version();
      // Routes and endpoints are asked for by name: a push carries only those that
      // changed (as Istio's incremental EDS does); the client keeps the others.
      // Listeners and clusters are sent whole, since absence there means removal.
      let outgoing = resources;
      const sentHashes = perResourceHashes.get(typeUrl) ?? new Map<string, string>();
      if (!force && byName.has(typeUrl)) {
        outgoing = resources.filter((r) => sentHashes.get(resourceName(r)) !== resourceHash(r));
      }
      let packed;
      try {
        packed = outgoing.map((r) => packedResource(typeUrl, r));
      } catch (error) {
        log.error(`${nodeId}: cannot encode ${typeUrl}: ${(error as Error).message}`);
        return;
      }
      const nonce = sotw.sent(typeUrl, version, hash);
      if (byName.has(typeUrl)) {
        if (force) sentHashes.clear();
        for (const r of outgoing) sentHashes.set(resourceName(r), resourceHash(r));
        perResourceHashes.set(typeUrl, sentHashes);
      }
      call.write({ version_info: version, resources: packed, type_url: typeUrl, nonce });
      log.debug(`${nodeId}: sent ${typeUrl.split('.').pop()} version ${version} nonce ${nonce} (${outgoing.length} of ${resources.length} resources)`);
    };

    call.on('data', (request: RawRequest) => {
      const typeUrl = request.type_url ?? '';
      if (!watch) {
        const id = request.node?.id;
        if (!id) {
          refuse(call, grpc.status.INVALID_ARGUMENT, 'the first request must carry the node');
          return;
        }
        try {
          watch = options.source.connect({ id, ...(request.node?.cluster ? { cluster: request.node.cluster } : {}), metadata: structToJson(request.node?.metadata) });
        } catch (error) {
          log.warn(`refused ${id}: ${(error as Error).message}`);
          refuse(call, grpc.status.INVALID_ARGUMENT, (error as Error).message);
          return;
        }
        nodeId = id;
        streams.set(call, { info: { nodeId: id, connectedAt: new Date().toISOString(), watches: [] }, sotw });
        log.info(`${id} connected`);
        unsubscribe = watch.onChange(() => {
          for (const type of sotw.watchedTypes()) send(type, false);
        });
      }
      const decision = sotw.onRequest({
        typeUrl,
        versionInfo: request.version_info ?? '',
        resourceNames: request.resource_names ?? [],
        responseNonce: request.response_nonce ?? '',
        errorDetail: request.error_detail ?? null,
      });
      if (decision.kind === 'nack') log.warn(`${nodeId} rejected ${typeUrl} version ${sotw.status().find((w) => w.typeUrl === typeUrl)?.nack?.version}: ${request.error_detail?.message ?? ''}`);
      if (decision.send) send(typeUrl, true);
    });
    const finish = () => {
      unsubscribe?.();
      if (nodeId) log.info(`${nodeId} disconnected`);
      streams.delete(call);
    };
    call.on('end', () => {
      finish();
      call.end();
    });
    call.on('error', finish);
    call.on('cancelled', finish);
  };

  server.addService(adsServiceDefinition(), {
    StreamAggregatedResources: handler,
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      refuse(call, grpc.status.UNIMPLEMENTED, 'delta xDS is not served; use StreamAggregatedResources');
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(parseAddress(options.address), grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return {
    port,
    streams: () => [...streams.values()].map(({ info, sotw }) => ({ ...info, watches: sotw.status() })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const call of streams.keys()) call.end();
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000).unref();
      }),
  };
}
