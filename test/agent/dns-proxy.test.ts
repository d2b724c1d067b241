// The DNS proxy on loopback: mesh names from the table, the rest forwarded to a real upstream server.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';
import type { Packet } from 'dns-packet';

/** The addresses in an answer (dns-packet's Answer union does not type data for every record type). */
const addresses = (reply: Packet) => (reply.answers ?? []).map((a) => (a as { data?: unknown }).data);
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { DnsProxy } from '../../src/agent/dns-proxy.js';
import { buildModel } from '../../src/discovery/model.js';
import { parseNodeId } from '../../src/discovery/proxy.js';
import { ProxyContext } from '../../src/discovery/generate/index.js';
import { nameTable, NameTableType } from '../../src/discovery/generate/name-table.js';
import { packAny, unpackAny } from '../../src/xds/codec.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bookinfo = parseAllDocuments(readFileSync(path.join(here, '..', 'discovery', 'fixtures', 'bookinfo.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);

function udpQuery(port: number, name: string, type: 'A' | 'AAAA' = 'A'): Promise<Packet> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => reject(new Error('no answer')), 3000);
    socket.on('message', (m) => {
      clearTimeout(timer);
      socket.close();
      resolve(dnsPacket.decode(m));
    });
    socket.send(dnsPacket.encode({ id: 42, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] }), port, '127.0.0.1');
  });
}

function tcpQuery(port: number, name: string): Promise<Packet> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const message = dnsPacket.encode({ id: 7, type: 'query', questions: [{ type: 'A', name, class: 'IN' }] });
    let buffer = Buffer.alloc(0);
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message])));
    socket.on('data', (d) => {
      buffer = Buffer.concat([buffer, d]);
      if (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
        socket.destroy();
        resolve(dnsPacket.decode(buffer.subarray(2)));
      }
    });
    socket.on('error', reject);
  });
}

describe('the name table (NDS)', () => {
  test('every service with its VIP and the names a pod in its namespace may use; it survives the NDS proto', () => {
    const ctx = new ProxyContext(buildModel(bookinfo), parseNodeId('sidecar~10.4.1.5~reviews-v1-545db77b95-jkgv2.default~default.svc.cluster.local'));
    const table = nameTable(ctx);
    assert.deepEqual(table['table']['ratings.default.svc.cluster.local'], { ips: ['10.8.8.106'], registry: 'Kubernetes', shortname: 'ratings', namespace: 'default', altHosts: ['ratings.default.svc', 'ratings.default', 'ratings'] });
    const back = unpackAny(packAny(NameTableType, table));
    assert.deepEqual((back['table'] as Record<string, Record<string, unknown>>)['ratings.default.svc.cluster.local']!['alt_hosts'], ['ratings.default.svc', 'ratings.default', 'ratings']);
  });
});

describe('DNS proxy', () => {
  let upstream: dgram.Socket;
  let upstreamTcp: net.Server;
  let upstreamPort = 0;
  let proxy: DnsProxy;
  before(async () => {
    // A real upstream resolver for names outside the mesh, on UDP and TCP.
    const answer = (query: Packet) => dnsPacket.encode({ id: query.id, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE, questions: query.questions, answers: [{ type: 'A', name: query.questions![0]!.name, ttl: 60, class: 'IN', data: '203.0.113.7' }] });
    upstream = dgram.createSocket('udp4');
    upstream.on('message', (m, r) => upstream.send(answer(dnsPacket.decode(m)), r.port, r.address));
    upstream.bind(0, '127.0.0.1');
    await once(upstream, 'listening');
    upstreamPort = upstream.address().port;
    upstreamTcp = net.createServer((s) => s.on('data', (d) => {
      const reply = answer(dnsPacket.decode(d.subarray(2)));
      s.end(Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 0xff]), reply]));
    }));
    upstreamTcp.listen(upstreamPort, '127.0.0.1');
    await once(upstreamTcp, 'listening');
    proxy = new DnsProxy({ host: '127.0.0.1', port: 0, upstreams: ['127.0.0.1'], upstreamPort });
    await proxy.start();
    proxy.setTable({ 'ratings.default.svc.cluster.local': { ips: ['10.8.8.106'], altHosts: ['ratings.default', 'ratings'] }, 'db.default.svc.cluster.local': { ips: ['fd00::5'] } });
  });
  after(async () => {
    await proxy.stop();
    upstream.close();
    upstreamTcp.close();
  });

  test('a mesh name, full or short, is answered from the table (UDP and TCP)', async () => {
    for (const name of ['ratings.default.svc.cluster.local', 'ratings', 'RATINGS.default.']) {
      const reply = await udpQuery(proxy.port, name);
      assert.equal(reply.id, 42);
      assert.deepEqual(addresses(reply), ['10.8.8.106'], name);
      assert.ok((reply.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER);
    }
    assert.deepEqual(addresses(await tcpQuery(proxy.port, 'ratings')), ['10.8.8.106']);
  });

  test('a mesh name without an address of the asked family is NODATA, not NXDOMAIN', async () => {
    const reply = await udpQuery(proxy.port, 'ratings', 'AAAA');
    assert.equal((reply as { rcode?: string }).rcode, 'NOERROR');
    assert.deepEqual(reply.answers, []);
    assert.deepEqual(addresses(await udpQuery(proxy.port, 'db.default.svc.cluster.local', 'AAAA')), ['fd00::5']);
  });

  test('other names go to the upstream resolver (UDP and TCP)', async () => {
    assert.deepEqual(addresses(await udpQuery(proxy.port, 'example.org')), ['203.0.113.7']);
    assert.deepEqual(addresses(await tcpQuery(proxy.port, 'example.org')), ['203.0.113.7']);
  });

  test('an upstream with nothing listening gives SERVFAIL at once, not after the forwarding timeout', async () => {
    // A port that was just free: no server behind it, so the kernel refuses the datagram.
    const probe = dgram.createSocket('udp4');
    probe.bind(0, '127.0.0.1');
    await once(probe, 'listening');
    const closedPort = probe.address().port;
    probe.close();
    const lonely = new DnsProxy({ host: '127.0.0.1', port: 0, upstreams: ['127.0.0.1'], upstreamPort: closedPort, timeoutMs: 60_000 });
    await lonely.start();
    try {
      // udpQuery gives up after 3 s; waiting out the 60 s timeout would fail it.
      const reply = await udpQuery(lonely.port, 'example.org');
      assert.equal((reply as { rcode?: string }).rcode, 'SERVFAIL');
    } finally {
      await lonely.stop();
    }
  });

  test('garbage is dropped and the proxy keeps answering', async () => {
    const socket = dgram.createSocket('udp4');
    socket.send(Buffer.from('not dns at all'), proxy.port, '127.0.0.1', () => socket.close());
    assert.deepEqual(addresses(await udpQuery(proxy.port, 'ratings')), ['10.8.8.106']);
  });
});
