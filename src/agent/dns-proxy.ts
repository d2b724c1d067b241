// The agent's DNS proxy (15053, UDP and TCP): capture sends the pod's DNS here; mesh
// names are answered from the name table discovery pushes, everything else is
// forwarded to the pod's own resolvers. The agent runs as the proxy's uid, so its
// own queries upstream are not captured again.
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';
import type { Answer, Packet, Question } from 'dns-packet';
import { scope } from '../log/index.js';

const log = scope('dns');

export interface NameInfo {
  ips?: string[];
  altHosts?: string[];
  alt_hosts?: string[];
}

/** name (lowercase, no trailing dot) → addresses, every alternative name included. */
export function buildLookup(table: Record<string, NameInfo>): Map<string, string[]> {
  const lookup = new Map<string, string[]>();
  for (const [host, info] of Object.entries(table)) {
    const ips = info.ips ?? [];
    for (const name of [host, ...(info.altHosts ?? info.alt_hosts ?? [])]) lookup.set(name.toLowerCase().replace(/\.$/, ''), ips);
  }
  return lookup;
}

const TTL = 30;

/** The answer for a query from the table, or undefined when the name is not a mesh name. */
export function answerFromTable(query: Packet, lookup: ReadonlyMap<string, string[]>): Buffer | undefined {
  const question: Question | undefined = query.questions?.[0];
  if (!question || (question.type !== 'A' && question.type !== 'AAAA')) return undefined;
  const ips = lookup.get(question.name.toLowerCase().replace(/\.$/, ''));
  if (!ips) return undefined;
  const family = question.type === 'A' ? 4 : 6;
  const answers: Answer[] = ips.filter((ip) => net.isIP(ip) === family).map((ip) => ({ type: question.type as 'A', name: question.name, ttl: TTL, class: 'IN', data: ip }));
  // A known name without addresses of this family is NODATA (NOERROR, no answers), not NXDOMAIN.
  return dnsPacket.encode({ id: query.id, type: 'response', flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE, questions: [question], answers });
}

export interface DnsProxyOptions {
  host?: string;
  port: number;
  upstreams: string[];
  upstreamPort?: number;
  timeoutMs?: number;
}

export class DnsProxy {
  private lookup = new Map<string, string[]>();
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  port = 0;

  constructor(private readonly options: DnsProxyOptions) {}

  setTable(table: Record<string, NameInfo>): void {
    this.lookup = buildLookup(table);
    log.debug(`name table: ${this.lookup.size} names`);
  }

  async start(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    this.udp = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    this.udp.on('message', (message, remote) => {
      void this.resolve(message, 'udp').then((answer) => {
        if (answer) this.udp?.send(answer, remote.port, remote.address);
      });
    });
    this.udp.on('error', (error) => log.warn(`udp: ${error.message}`));
    this.udp.bind(this.options.port, host);
    await once(this.udp, 'listening');
    this.port = this.udp.address().port;
    this.tcp = net.createServer((socket) => this.serveTcp(socket));
    this.tcp.listen(this.port, host);
    await once(this.tcp, 'listening');
  }

  async stop(): Promise<void> {
    this.udp?.close();
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
  }

  /** Answers one query (wire format), from the table or from upstream; undefined drops it. */
  async resolve(message: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined; // not DNS: nothing a client waits for
    }
    const local = answerFromTable(query, this.lookup);
    if (local) return local;
    for (const upstream of this.options.upstreams) {
      const answer = await (transport === 'udp' ? this.forwardUdp(message, upstream) : this.forwardTcp(message, upstream));
      if (answer) return answer;
    }
    // No upstream answered: SERVFAIL, so the client does not wait out its own timeout.
    return dnsPacket.encode({ id: query.id, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE | 2, questions: query.questions ?? [] });
  }

  private forwardUdp(message: Buffer, upstream: string): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = dgram.createSocket(net.isIPv6(upstream) ? 'udp6' : 'udp4');
      const timer = setTimeout(() => {
        socket.close();
        resolve(undefined);
      }, this.options.timeoutMs ?? 2000);
      socket.on('message', (answer) => {
        clearTimeout(timer);
        socket.close();
        resolve(answer);
      });
      socket.on('error', () => {
        clearTimeout(timer);
        socket.close();
        resolve(undefined);
      });
      // Connected, so that an upstream with nothing listening (the pod's loopback
      // nameserver when no DNS server runs) answers at once with ECONNREFUSED
      // instead of leaving each query to the timeout.
      socket.connect(this.options.upstreamPort ?? 53, upstream, () => socket.send(message));
    });
  }

  private forwardTcp(message: Buffer, upstream: string): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: upstream, port: this.options.upstreamPort ?? 53 });
      let buffer = Buffer.alloc(0);
      const done = (answer: Buffer | undefined) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), this.options.timeoutMs ?? 2000);
      socket.on('connect', () => socket.write(Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message])));
      socket.on('data', (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        if (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) done(buffer.subarray(2, 2 + buffer.readUInt16BE(0)));
      });
      socket.on('error', () => done(undefined));
    });
  }

  /** DNS over TCP: each message prefixed by its length. */
  private serveTcp(socket: net.Socket): void {
    let buffer = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length > 65_537) {
        socket.destroy();
        return;
      }
      while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
        const message = buffer.subarray(2, 2 + buffer.readUInt16BE(0));
        buffer = buffer.subarray(2 + message.length);
        void this.resolve(message, 'tcp').then((answer) => {
          if (answer && !socket.destroyed) socket.write(Buffer.concat([Buffer.from([answer.length >> 8, answer.length & 0xff]), answer]));
        });
      }
    });
  }
}
