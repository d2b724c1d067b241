// An ADS client (state of the world): subscribes to listeners and clusters, then to
// the routes and endpoints they name; hands each response to the data plane, ACKs
// what it applied and NACKs what it refused (keeping its last good config); and
// reconnects with backoff, re-announcing what it has, when the stream breaks.
import * as grpc from '@grpc/grpc-js';
import { scope } from '../log/index.js';
import { adsServiceDefinition } from './ads-server.js';
import type { JsonObject } from './ads-server.js';
import { unpackAny } from './codec.js';

const log = scope('ads-client');

export const ClusterType = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const ListenerType = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const RouteType = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
export const EndpointType = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

export interface AdsClientOptions {
  /** host:port of the control plane. */
  address: string;
  node: { id: string; cluster?: string; metadata?: JsonObject };
  /** Applies the full set of one type's resources; throwing refuses them (NACK). */
  apply(typeUrl: string, resources: JsonObject[], version: string): void | Promise<void>;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

interface TypeState {
  names: string[];
  /** For routes and endpoints: everything received, by name (pushes may carry only changes). */
  held?: Map<string, JsonObject>;
  /** The last version applied (sent back on reconnect so the server knows). */
  version: string;
  nonce: string;
  nack?: string;
}

/** JSON → google.protobuf.Struct as proto-loader expects it. */
export function jsonToStruct(value: JsonObject): { fields: Record<string, unknown> } {
  const toValue = (v: unknown): Record<string, unknown> => {
    if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
    if (typeof v === 'number') return { numberValue: v };
    if (typeof v === 'boolean') return { boolValue: v };
    if (typeof v === 'string') return { stringValue: v };
    if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
    return { structValue: jsonToStruct(v as JsonObject) };
  };
  return { fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toValue(v)])) };
}

export class AdsClient {
  private readonly types = new Map<string, TypeState>([
    [ClusterType, { names: [], version: '', nonce: '' }],
    [ListenerType, { names: [], version: '', nonce: '' }],
  ]);
  private call: grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>> | undefined;
  private client: grpc.Client | undefined;
  private stopped = false;
  private backoffMs: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private nodeSent = false;
  /** Responses are applied one at a time, in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  connected = false;

  constructor(private readonly options: AdsClientOptions) {
    this.backoffMs = options.initialBackoffMs ?? 500;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.call?.cancel();
    this.client?.close();
  }

  /** Sets the names wanted for a type (routes and endpoints follow listeners and clusters). */
  subscribe(typeUrl: string, names: readonly string[]): void {
    const state = this.types.get(typeUrl) ?? { names: [], version: '', nonce: '' };
    const sorted = [...new Set(names)].sort();
    const changed = !this.types.has(typeUrl) || state.names.length !== sorted.length || state.names.some((n, i) => n !== sorted[i]);
    state.names = sorted;
    // What is no longer wanted is forgotten.
    if (state.held) for (const name of [...state.held.keys()]) if (!sorted.includes(name)) state.held.delete(name);
    this.types.set(typeUrl, state);
    if (changed) this.request(typeUrl);
  }

  status(): Record<string, { version: string; names: string[]; nack?: string }> {
    return Object.fromEntries([...this.types].map(([type, s]) => [type, { version: s.version, names: [...s.names], ...(s.nack ? { nack: s.nack } : {}) }]));
  }

  private connect(): void {
    const Client = grpc.makeGenericClientConstructor(adsServiceDefinition(), 'AggregatedDiscoveryService');
    this.client = new Client(this.options.address, grpc.credentials.createInsecure()) as unknown as grpc.Client;
    const call = (this.client as unknown as { StreamAggregatedResources(): grpc.ClientDuplexStream<Record<string, unknown>, Record<string, unknown>> }).StreamAggregatedResources();
    this.call = call;
    this.nodeSent = false;
    call.on('data', (response: Record<string, unknown>) => {
      this.connected = true;
      this.backoffMs = this.options.initialBackoffMs ?? 500;
      this.queue = this.queue.then(() => this.onResponse(response));
    });
    const broken = (reason: string) => {
      if (this.call !== call) return;
      this.call = undefined;
      this.connected = false;
      this.client?.close();
      if (this.stopped) return;
      // Keep the last config and try again, backing off with jitter.
      const delay = this.backoffMs * (0.5 + Math.random());
      this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 30_000);
      log.warn(`connection to ${this.options.address} lost (${reason}); retrying in ${Math.round(delay)} ms`);
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    };
    call.on('error', (error: grpc.ServiceError) => broken(error.details || error.message));
    call.on('end', () => broken('stream ended'));
    // Clusters and listeners first; routes and endpoints as they are named. The last
    // applied versions tell a restarted server what we already have.
    for (const type of [ClusterType, ListenerType, ...[...this.types.keys()].filter((t) => t !== ClusterType && t !== ListenerType)]) {
      const state = this.types.get(type)!;
      state.nonce = '';
      this.request(type);
    }
  }

  private request(typeUrl: string, errorDetail?: string): void {
    const call = this.call;
    const state = this.types.get(typeUrl);
    if (!call || !state) return;
    const message: Record<string, unknown> = { type_url: typeUrl, version_info: state.version, resource_names: state.names, response_nonce: state.nonce };
    if (!this.nodeSent) {
      message['node'] = { id: this.options.node.id, ...(this.options.node.cluster ? { cluster: this.options.node.cluster } : {}), metadata: jsonToStruct(this.options.node.metadata ?? {}) };
      this.nodeSent = true;
    }
    if (errorDetail !== undefined) message['error_detail'] = { code: grpc.status.INVALID_ARGUMENT, message: errorDetail };
    call.write(message);
  }

  private async onResponse(response: Record<string, unknown>): Promise<void> {
    const typeUrl = String(response['type_url'] ?? '');
    const version = String(response['version_info'] ?? '');
    const nonce = String(response['nonce'] ?? '');
    const state = this.types.get(typeUrl);
    if (!state) return;
    state.nonce = nonce;
    let resources: JsonObject[];
    let merged: Map<string, JsonObject> | undefined;
    try {
      resources = ((response['resources'] as { type_url: string; value: Uint8Array }[] | undefined) ?? []).map((any) => unpackAny(any));
      if (typeUrl === RouteType || typeUrl === EndpointType) {
        // Named types arrive as changes: apply the whole current set, so the data plane never sees a partial one.
        merged = new Map(state.held ?? []);
        for (const r of resources) merged.set(String(r['name'] ?? r['cluster_name']), r);
        resources = state.names.length === 0 ? [...merged.values()] : state.names.map((n) => merged!.get(n)).filter((r): r is JsonObject => r !== undefined);
      }
      await this.options.apply(typeUrl, resources, version);
      if (merged) state.held = merged;
    } catch (error) {
      const message = (error as Error).message;
      state.nack = message;
      log.warn(`rejected ${typeUrl.split('.').pop()} version ${version}: ${message}`);
      this.request(typeUrl, message);
      return;
    }
    state.version = version;
    delete state.nack;
    this.request(typeUrl);
  }
}
