// The native addon on real sockets: what it returns, and errors with errno names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { getMark, isTransparent, originalDst, setMark, setTransparent, socketFd } from '../../src/native/index.js';
import type { NativeError } from '../../src/native/index.js';

async function connectedPair(host: string): Promise<{ server: net.Server; client: net.Socket; accepted: net.Socket }> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const acceptedPromise = once(server, 'connection');
  const client = net.connect(port, host);
  await once(client, 'connect');
  const [accepted] = (await acceptedPromise) as [net.Socket];
  return { server, client, accepted };
}

const isRoot = process.getuid?.() === 0;

test('a connection that was not redirected has no original destination: ENOENT', async () => {
  for (const host of ['127.0.0.1', '::1']) {
    const { server, client, accepted } = await connectedPair(host);
    try {
      assert.throws(() => originalDst(accepted), (error: NativeError) => error.code === 'ENOENT' && /SO_ORIGINAL_DST/.test(error.message));
    } finally {
      client.destroy();
      accepted.destroy();
      server.close();
    }
  }
});

test('a socket without a descriptor is EBADF, before any system call', () => {
  assert.throws(() => originalDst(new net.Socket()), (error: NativeError) => error.code === 'EBADF');
});

test('SO_MARK: set and read back (needs CAP_NET_ADMIN)', { skip: isRoot ? undefined : 'needs root' }, async () => {
  const { server, client, accepted } = await connectedPair('127.0.0.1');
  try {
    assert.equal(getMark(client), 0);
    setMark(client, 1338);
    assert.equal(getMark(client), 1338);
    setMark(client, 0xfffffffe);
    assert.equal(getMark(client), 0xfffffffe);
    assert.throws(() => setMark(client, -1), (error: NativeError) => error.code === 'EINVAL');
  } finally {
    client.destroy();
    accepted.destroy();
    server.close();
  }
});

test('IP_TRANSPARENT on IPv4 and dual-stack listeners (needs CAP_NET_ADMIN)', { skip: isRoot ? undefined : 'needs root' }, async () => {
  for (const host of ['0.0.0.0', '::']) {
    const server = net.createServer();
    server.listen(0, host);
    await once(server, 'listening');
    try {
      assert.ok(socketFd(server) > 2);
      assert.equal(isTransparent(server), false);
      setTransparent(server, true);
      assert.equal(isTransparent(server), true);
      setTransparent(server, false);
      assert.equal(isTransparent(server), false);
    } finally {
      server.close();
    }
  }
});

test('without CAP_NET_ADMIN the kernel refuses: the error carries EPERM', { skip: isRoot ? undefined : 'needs root to switch uid' }, async () => {
  const { spawnSync } = await import('node:child_process');
  const { pathToFileURL } = await import('node:url');
  const { stage } = await import('../../src/stage/index.js');
  // uid 1000 may not be able to read the checkout: use a world-readable copy.
  const staged = stage([]);
  const nativeModule = staged.path('dist/native/index.js');
  const script = `
    const net = await import('node:net');
    const native = await import(${JSON.stringify(pathToFileURL(nativeModule).href)});
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      try { native.setTransparent(server, true); console.log('no error'); }
      catch (error) { console.log(error.code, error.message); }
      server.close();
    });`;
  const result = spawnSync('setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', '--', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
  staged.remove();
  assert.match(result.stdout, /^EPERM setsockopt\(IP_TRANSPARENT\): Operation not permitted \(EPERM\)/, result.stderr);
});
