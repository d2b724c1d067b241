// Reads SNI and ALPN from the first TLS record(s) of a connection without
// terminating TLS: a pure parser over the bytes seen so far.

export type ClientHelloResult =
  | { kind: 'not-tls' }
  | { kind: 'need-more' }
  | { kind: 'tls'; serverName?: string; alpn: string[] }
  /** Starts like TLS but is malformed: still TLS as far as matching goes. */
  | { kind: 'invalid' };

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;

/** Envoy's tls_inspector gives up on ClientHellos bigger than this. */
export const MAX_CLIENT_HELLO = 64 * 1024;

export function parseClientHello(data: Buffer): ClientHelloResult {
  if (data.length === 0) return { kind: 'need-more' };
  if (data[0] !== HANDSHAKE) return { kind: 'not-tls' };
  if (data.length < 3) return { kind: 'need-more' };
  // Record versions 3.0 to 3.4 (SSLv3 .. TLS 1.3 compat); anything else is not TLS.
  if (data[1] !== 0x03 || data[2]! > 0x04) return { kind: 'not-tls' };
  // A ClientHello may span several handshake records; gather the handshake bytes.
  const handshake: Buffer[] = [];
  let offset = 0;
  let have = 0;
  let needed = -1;
  while (true) {
    if (data.length < offset + 5) return data.length > MAX_CLIENT_HELLO ? { kind: 'invalid' } : { kind: 'need-more' };
    if (data[offset] !== HANDSHAKE) return { kind: 'invalid' };
    const length = data.readUInt16BE(offset + 3);
    if (data.length < offset + 5 + length) return offset + 5 + length > MAX_CLIENT_HELLO ? { kind: 'invalid' } : { kind: 'need-more' };
    const fragment = data.subarray(offset + 5, offset + 5 + length);
    handshake.push(fragment);
    have += fragment.length;
    offset += 5 + length;
    if (needed < 0 && have >= 4) {
      const head = Buffer.concat(handshake);
      if (head[0] !== CLIENT_HELLO) return { kind: 'invalid' };
      needed = 4 + head.readUIntBE(1, 3);
      if (needed > MAX_CLIENT_HELLO) return { kind: 'invalid' };
    }
    if (needed >= 0 && have >= needed) break;
  }
  return parseHelloBody(Buffer.concat(handshake).subarray(4, needed));
}

function parseHelloBody(body: Buffer): ClientHelloResult {
  try {
    let p = 2 + 32; // client_version, random
    p += 1 + body[p]!; // session_id
    p += 2 + body.readUInt16BE(p); // cipher_suites
    p += 1 + body[p]!; // compression_methods
    const alpn: string[] = [];
    let serverName: string | undefined;
    if (p === body.length) return { kind: 'tls', alpn };
    const end = p + 2 + body.readUInt16BE(p);
    p += 2;
    if (end > body.length) return { kind: 'invalid' };
    while (p + 4 <= end) {
      const type = body.readUInt16BE(p);
      const length = body.readUInt16BE(p + 2);
      const ext = body.subarray(p + 4, p + 4 + length);
      p += 4 + length;
      if (type === EXT_SERVER_NAME) serverName = parseServerName(ext);
      else if (type === EXT_ALPN) alpn.push(...parseAlpn(ext));
    }
    return serverName === undefined ? { kind: 'tls', alpn } : { kind: 'tls', serverName, alpn };
  } catch {
    return { kind: 'invalid' };
  }
}

function parseServerName(ext: Buffer): string | undefined {
  let p = 2;
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  while (p + 3 <= end) {
    const type = ext[p]!;
    const length = ext.readUInt16BE(p + 1);
    if (type === 0) return ext.subarray(p + 3, p + 3 + length).toString('ascii').toLowerCase();
    p += 3 + length;
  }
  return undefined;
}

function parseAlpn(ext: Buffer): string[] {
  const out: string[] = [];
  let p = 2;
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  while (p < end) {
    const length = ext[p]!;
    out.push(ext.subarray(p + 1, p + 1 + length).toString('ascii'));
    p += 1 + length;
  }
  return out;
}
