// The capture demo's stand-in for the sidecar proxy (the real one is `outrigger proxy`):
// a plain TCP forwarder on 15001 (outbound) and 15006 (inbound) that recovers each
// connection's original destination through the native addon and connects there,
// exactly the first steps Envoy's virtualOutbound/virtualInbound listeners take.
import net from 'node:net';
import { originalDst } from '../native/index.js';

const INBOUND_PASSTHROUGH_SOURCE = '127.0.0.6';

function listen(port: number, direction: 'outbound' | 'inbound'): void {
  const server = net.createServer((downstream) => {
    downstream.on('error', () => downstream.destroy());
    let target: { address: string; port: number };
    try {
      target = originalDst(downstream);
    } catch (error) {
      process.stdout.write(`${direction}: no original destination (${(error as { code?: string }).code}); closing\n`);
      downstream.destroy();
      return;
    }
    const client = `${downstream.remoteAddress?.replace(/^::ffff:/, '')}:${downstream.remotePort}`;
    // Inbound traffic goes to the app from 127.0.0.6, which the capture rules let through.
    const localAddress = direction === 'inbound' && net.isIPv4(target.address) ? INBOUND_PASSTHROUGH_SOURCE : undefined;
    process.stdout.write(
      `${direction}: ${client} → :${port} (captured); original destination ${target.address}:${target.port}` +
        `${localAddress ? `; connecting from ${localAddress}` : ''}\n`,
    );
    const upstream = net.connect({ host: target.address, port: target.port, ...(localAddress ? { localAddress } : {}) });
    upstream.on('error', () => downstream.destroy());
    downstream.pipe(upstream).pipe(downstream);
  });
  server.listen(port, '::', () => process.stdout.write(`ready ${direction} ${port}\n`));
}

listen(15001, 'outbound');
listen(15006, 'inbound');
