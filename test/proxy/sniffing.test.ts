// Protocol sniffing over the first bytes: a real TLS ClientHello from node:tls,
// and HTTP/1.x and h2c prefaces.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { parseClientHello } from '../../src/proxy/listener-filters/tls-client-hello.js';
import { sniffHttp } from '../../src/proxy/listener-filters/http-sniff.js';
import type { HttpSniffResult } from '../../src/proxy/listener-filters/http-sniff.js';

/** The first bytes a real TLS client sends. */
async function clientHello(options: tls.ConnectionOptions): Promise<Buffer> {
  let resolveBytes!: (b: Buffer) => void;
  const got = new Promise<Buffer>((r) => (resolveBytes = r));
  const server = net.createServer((s) => {
    s.once('data', (d: Buffer) => {
      resolveBytes(d);
      s.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const client = tls.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, rejectUnauthorized: false, ...options });
  client.on('error', () => undefined);
  const bytes = await got;
  client.destroy();
  server.close();
  return bytes;
}

describe('tls_inspector ClientHello parsing', () => {
  test('SNI and ALPN from a real node:tls ClientHello', async () => {
    const hello = await clientHello({ servername: 'Reviews.Default.svc.cluster.local', ALPNProtocols: ['istio-peer-exchange', 'istio', 'h2'] });
    assert.deepEqual(parseClientHello(hello), { kind: 'tls', serverName: 'reviews.default.svc.cluster.local', alpn: ['istio-peer-exchange', 'istio', 'h2'] });
  });

  test('no SNI, no ALPN', async () => {
    const hello = await clientHello({ servername: '' });
    assert.deepEqual(parseClientHello(hello), { kind: 'tls', alpn: [] });
  });

  test('every truncation of a ClientHello asks for more', async () => {
    const hello = await clientHello({ servername: 'a.example.com' });
    for (const cut of [1, 3, 5, 10, hello.length - 1]) assert.deepEqual(parseClientHello(hello.subarray(0, cut)), { kind: 'need-more' }, `cut at ${cut}`);
  });

  const table: [string, Buffer, string][] = [
    ['plaintext HTTP', Buffer.from('GET / HTTP/1.1\r\n'), 'not-tls'],
    ['a MySQL-ish binary greeting', Buffer.from([0x4a, 0, 0, 0, 0x0a]), 'not-tls'],
    ['a handshake byte with a non-TLS version', Buffer.from([0x16, 0x09, 0x09, 0, 1]), 'not-tls'],
    ['a record that is not a ClientHello', Buffer.from([0x16, 0x03, 0x01, 0, 4, 0x02, 0, 0, 0]), 'invalid'],
  ];
  for (const [name, bytes, kind] of table) test(name, () => assert.equal(parseClientHello(bytes).kind, kind));
});

describe('http_inspector sniffing', () => {
  const table: [string, string, HttpSniffResult][] = [
    ['HTTP/1.1 request line', 'GET /productpage HTTP/1.1\r\nHost: x\r\n\r\n', 'http/1.1'],
    ['HTTP/1.0 request line', 'POST /a HTTP/1.0\r\n', 'http/1.0'],
    ['partial request line', 'GET /produ', 'need-more'],
    ['h2c preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'h2c'],
    ['partial h2c preface', 'PRI * HTTP/2', 'need-more'],
    ['unknown version', 'GET / HTTP/2.0\r\n', 'not-http'],
    ['binary first byte', '\u0000\u0001\u0002', 'not-http'],
    ['SMTP-like client text without CRLF structure', 'EHLO example.com\r\n', 'not-http'],
    ['TLS record', '\u0016\u0003\u0001', 'not-http'],
  ];
  for (const [name, input, expect] of table) test(name, () => assert.equal(sniffHttp(Buffer.from(input, 'latin1')), expect));
  test('an endless token without a line end stops being HTTP', () => assert.equal(sniffHttp(Buffer.alloc(9000, 'A')), 'not-http'));
});
