// Typed face of the N-API addon in native/: the socket options Node.js has no
// API for. Everything else in Outrigger reaches the addon through this module.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type net from 'node:net';
import { packageRoot } from '../paths.js';

export interface SocketAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
  port: number;
}

interface NativeBinding {
  getOriginalDst(fd: number): SocketAddress;
  setTransparent(fd: number, on: number): void;
  getTransparent(fd: number): boolean;
  setMark(fd: number, mark: number): void;
  getMark(fd: number): number;
}

/** An error from the kernel, with the errno name in `code` (EPERM, ENOENT, ...). */
export interface NativeError extends Error {
  code: string;
}

export const addonPath = path.join(packageRoot, 'native', 'build', 'Release', 'outrigger_native.node');

let binding: NativeBinding | undefined;

function load(): NativeBinding {
  if (binding) return binding;
  if (!existsSync(addonPath)) {
    throw new Error(`the native addon is not built (${addonPath} is missing): run "npm run setup"`);
  }
  const require = createRequire(import.meta.url);
  binding = require(addonPath) as NativeBinding;
  return binding;
}

/** The file descriptor behind a connected socket or a listening server. */
export function socketFd(handleOwner: net.Socket | net.Server): number {
  const handle = (handleOwner as unknown as { _handle?: { fd?: number } })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw Object.assign(new Error('socket has no file descriptor (not connected or not listening)'), {
      code: 'EBADF',
    });
  }
  return fd;
}

/**
 * The destination the client asked for before netfilter's REDIRECT rewrote it
 * (SO_ORIGINAL_DST / IP6T_SO_ORIGINAL_DST). Throws ENOENT when the connection
 * was not redirected.
 */
export function originalDst(socket: net.Socket): SocketAddress {
  return load().getOriginalDst(socketFd(socket));
}

/** Marks a listening socket IP_TRANSPARENT so TPROXY may deliver foreign-addressed connections to it. */
export function setTransparent(server: net.Server | net.Socket, on = true): void {
  load().setTransparent(socketFd(server), on ? 1 : 0);
}

export function isTransparent(server: net.Server | net.Socket): boolean {
  return load().getTransparent(socketFd(server));
}

/** Sets SO_MARK on a socket (needs CAP_NET_ADMIN). */
export function setMark(socket: net.Socket | net.Server, mark: number): void {
  if (!Number.isInteger(mark) || mark < 0 || mark > 0xffffffff) {
    throw Object.assign(new RangeError(`invalid socket mark ${mark}: must be 0..4294967295`), { code: 'EINVAL' });
  }
  load().setMark(socketFd(socket), mark | 0);
}

export function getMark(socket: net.Socket | net.Server): number {
  return load().getMark(socketFd(socket));
}
