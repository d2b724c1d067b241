// State-of-the-world xDS on one ADS stream, as a pure state machine: what each
// DiscoveryRequest means (first request, ACK, NACK, stale nonce, changed
// subscription) and what must be sent. The gRPC shell feeds it and sends.

export interface DiscoveryRequest {
  typeUrl: string;
  versionInfo: string;
  resourceNames: string[];
  responseNonce: string;
  errorDetail?: { code?: number; message?: string } | null;
}

export type RequestKind = 'initial' | 'ack' | 'nack' | 'stale' | 'resubscribe';

export interface WatchStatus {
  typeUrl: string;
  /** Subscribed names; empty for a wildcard subscription (LDS, CDS). */
  names: string[];
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  /** The last NACK: the version refused and the client's message. */
  nack?: { version: string; message: string };
  /** Hash of what was last sent, to skip pushes that change nothing for this proxy. */
  sentHash?: string;
}

export interface Decision {
  kind: RequestKind;
  /** Whether a response must be generated and sent now. */
  send: boolean;
}

/** Types sent in this order on a full push: clusters before their endpoints, listeners before routes. */
export const pushOrder = [
  'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  'type.googleapis.com/envoy.config.listener.v3.Listener',
  'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
];

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((n) => set.has(n));
}

export class SotwStream {
  private readonly watches = new Map<string, WatchStatus>();
  private nonceCounter = 0;

  constructor(private readonly noncePrefix: string = Math.random().toString(36).slice(2, 8)) {}

  onRequest(request: DiscoveryRequest): Decision {
    const watch = this.watches.get(request.typeUrl);
    if (request.responseNonce === '' || !watch) {
      // A first request, or the client reconnected and is telling us what it has.
      this.watches.set(request.typeUrl, { typeUrl: request.typeUrl, names: [...request.resourceNames], ...(watch?.nack ? { nack: watch.nack } : {}) });
      return { kind: 'initial', send: true };
    }
    if (request.responseNonce !== watch.sentNonce) return { kind: 'stale', send: false };
    if (request.errorDetail && (request.errorDetail.message || request.errorDetail.code)) {
      // The client keeps its last good config; we keep ours and wait for the next change.
      watch.nack = { version: watch.sentVersion ?? '', message: request.errorDetail.message ?? `code ${request.errorDetail.code}` };
      return { kind: 'nack', send: false };
    }
    watch.ackedVersion = request.versionInfo;
    delete watch.nack;
    if (!sameNames(watch.names, request.resourceNames)) {
      watch.names = [...request.resourceNames];
      return { kind: 'resubscribe', send: true };
    }
    return { kind: 'ack', send: false };
  }

  /** Records a response about to be sent; returns its nonce. */
  sent(typeUrl: string, version: string, hash: string): string {
    const watch = this.watches.get(typeUrl) ?? { typeUrl, names: [] };
    const nonce = `${this.noncePrefix}-${++this.nonceCounter}`;
    watch.sentVersion = version;
    watch.sentNonce = nonce;
    watch.sentHash = hash;
    this.watches.set(typeUrl, watch);
    return nonce;
  }

  /** Whether content with this hash differs from what this type last carried. */
  changed(typeUrl: string, hash: string): boolean {
    return this.watches.get(typeUrl)?.sentHash !== hash;
  }

  names(typeUrl: string): string[] {
    return this.watches.get(typeUrl)?.names ?? [];
  }

  /** The watched types in push order (then any others). */
  watchedTypes(): string[] {
    const watched = [...this.watches.keys()];
    return [...pushOrder.filter((t) => watched.includes(t)), ...watched.filter((t) => !pushOrder.includes(t))];
  }

  status(): WatchStatus[] {
    return [...this.watches.values()].map((w) => ({ ...w, names: [...w.names] }));
  }
}
