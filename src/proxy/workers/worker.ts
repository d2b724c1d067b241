// A worker process: runs a data plane built from the updates the main process
// sends, accepts on the sockets it hands over, answers for its stats, and follows
// the main process — it drains when told, and exits when the main process goes.
import type net from 'node:net';
import { scope } from '../../log/index.js';
import { setProxyLogLevel } from '../log-level.js';
import { applyConfigUpdate } from './config-update.js';
import { DataPlane } from './data-plane.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { sampleStats } from './stats-merge.js';

const log = scope('proxy');

export function runWorker(): void {
  if (!process.send) {
    process.stderr.write('the proxy worker is started by the proxy (--concurrency), not on its own\n');
    process.exit(2);
  }
  const send = (message: FromWorker, then?: () => void) => {
    try {
      process.send!(message, undefined, {}, () => then?.());
    } catch {
      then?.();
    }
  };

  // A socket handed over with a 'listener' update, taken when that listener binds.
  let handedOver: net.Server | undefined;
  const plane = new DataPlane({
    inheritedSocket: () => {
      const socket = handedOver;
      handedOver = undefined;
      return socket;
    },
  });
  let name = 'worker';
  let draining = false;
  // Updates apply one at a time, in the order the main process sent them.
  let updates = Promise.resolve();

  // Signals are the main process's to act on (a terminal's Ctrl-C reaches the whole process group).
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  // Without the main process nothing owns the config or the admin API any more.
  process.on('disconnect', () => process.exit(0));

  process.on('message', (message: ToWorker, handle?: net.Server) => {
    switch (message.type) {
      case 'start':
        name = `worker ${message.index}`;
        if (message.logLevel) setProxyLogLevel(message.logLevel);
        log.debug(`${name} (pid ${process.pid}) started`);
        return;
      case 'config':
        updates = updates.then(async () => {
          if (draining) {
            handle?.close();
            return;
          }
          handedOver = handle;
          let error: string | undefined;
          try {
            await applyConfigUpdate(plane, message.update);
          } catch (e) {
            error = (e as Error).message;
            log.error(`${name}: cannot apply the ${message.update.kind} update: ${error}`);
          }
          // A listener updated in place keeps the socket it has: this copy is not needed.
          handedOver?.close();
          handedOver = undefined;
          send({ type: 'reply', id: message.id, ...(error ? { error } : {}) });
        });
        return;
      case 'stats':
        send({ type: 'reply', id: message.id, stats: sampleStats(plane) });
        return;
      case 'stop-listening':
        void plane.listenerManager.stopListening().then(() => send({ type: 'reply', id: message.id }));
        return;
      case 'drain':
        if (draining) return;
        draining = true;
        void plane.listenerManager.drain(message.timeMs).then(() => {
          const stats = sampleStats(plane);
          plane.close();
          send({ type: 'final-stats', stats }, () => process.exit(0));
        });
        return;
      case 'log-level':
        setProxyLogLevel(message.level);
        return;
    }
  });
}
