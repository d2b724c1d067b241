// The accepted socket as a plain byte stream that first replays what the
// listener filters read (the ClientHello tls_inspector sniffed), so TLS can be
// terminated on a connection whose first bytes were already consumed.
import type net from 'node:net';
import { Duplex } from 'node:stream';

export function replayingStream(raw: net.Socket, peeked: Buffer, readEnded: boolean): Duplex {
  const stream = new Duplex({
    allowHalfOpen: true,
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      raw.write(chunk, callback);
    },
    final(callback) {
      raw.end(callback);
    },
    // The TLS socket on top going away takes the TCP connection with it.
    destroy(error, callback) {
      raw.destroy();
      callback(error);
    },
  });
  if (peeked.length > 0) stream.push(peeked);
  raw.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) raw.pause();
  });
  const onEnd = () => stream.push(null);
  if (readEnded) onEnd();
  else raw.once('end', onEnd);
  raw.once('close', () => stream.destroy());
  raw.on('error', (error) => stream.destroy(error));
  return stream;
}
