// Child processes of the bench: every one is registered here so that a normal exit, an error
// or Ctrl-C kills exactly the processes this bench started (by PID), never a stray one.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import net from 'node:net';

const children = new Set<ChildProcess>();

export function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

let hooked = false;
/** Kills the children on exit, on an uncaught error and on SIGINT/SIGTERM. */
export function killChildrenOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Registers a child started elsewhere (e.g. with fork) so that it is killed with the rest. */
export function track(child: ChildProcess): void {
  children.add(child);
  child.on('exit', () => children.delete(child));
}

export interface Started {
  child: ChildProcess;
  pid: number;
  /** Recent stderr, for the error message when the process dies early. */
  output(): string;
}

export function start(command: string, args: string[], options: SpawnOptions = {}): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  track(child);
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, pid: child.pid, output: () => tail };
}

/** Ends a child and waits for it: SIGTERM first (so --cpu-prof can write its profile), SIGKILL after `graceMs`. */
export async function stop(started: Started, graceMs = 0): Promise<void> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (graceMs > 0) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  } else {
    child.kill('SIGKILL');
    await exited;
  }
}

/** A port free on 127.0.0.1 right now (bound to 0, then released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Waits until something accepts connections on the port, failing early if `started` dies. */
export async function waitForPort(port: number, started: Started, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) {
      throw new Error(`process ${started.pid} exited before listening on ${port}:\n${started.output()}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
