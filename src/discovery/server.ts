// `outrigger discovery`: the registry directory → the model → per-proxy xDS over
// ADS, with a monitoring endpoint (/metrics, /debug/syncz, /ready).
import http from 'node:http';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scope } from '../log/index.js';
import { startAdsServer } from '../xds/ads-server.js';
import type { AdsServer } from '../xds/ads-server.js';
import { applyMeshConfig, defaultMeshConfig } from '../inject/mesh.js';
import type { JsonObject } from '../inject/mesh.js';
import { buildModel } from './model.js';
import { loadRegistryDir, watchRegistryDir } from './registry-dir.js';
import { DiscoverySource } from './source.js';
import type { MeshSettings } from './generate/index.js';
import { createCertificateAuthority, FileSettingsSource, issueServingCertificate, startWebhookServer, webhookDnsNames } from '../webhook/index.js';
import type { WebhookServer } from '../webhook/index.js';
import { envoyDuration } from './generate/duration.js';

const log = scope('discovery');

export interface DiscoveryOptions {
  configDir: string;
  grpcAddr: string;
  monitoringAddr: string;
  /** pilot-discovery's debug address (8080): the same /debug/syncz, /metrics and /ready; absent: not served. */
  httpAddr?: string;
  meshConfigFile?: string;
  /** The injection webhook, served as istiod does on 15017; absent: not served. */
  webhook?: {
    port: number;
    injectConfigFile?: string;
    valuesFile?: string;
    /** Serving certificate and key; when absent a CA and certificate are made for this run. */
    tlsCertFile?: string;
    tlsKeyFile?: string;
    namespace?: string;
  };
}

export interface DiscoveryServer {
  grpcPort: number;
  monitoringPort: number;
  httpPort: number | undefined;
  webhook: WebhookServer | undefined;
  /** The CA that signed a generated webhook certificate (for the caBundle), if one was made. */
  webhookCaFile: string | undefined;
  source: DiscoverySource;
  ads: AdsServer;
  reload(): boolean;
  close(): Promise<void>;
}

export function meshSettings(mesh: JsonObject): MeshSettings {
  const outbound = (mesh['outboundTrafficPolicy'] as JsonObject | undefined)?.['mode'];
  return {
    // MeshConfig is read as Istio reads it: "500ms" is a valid connectTimeout there.
    connectTimeout: envoyDuration(mesh['connectTimeout'] ?? '10s'),
    outboundTrafficPolicy: outbound === 'REGISTRY_ONLY' ? 'REGISTRY_ONLY' : 'ALLOW_ANY',
    rootNamespace: String(mesh['rootNamespace'] ?? 'istio-system'),
  };
}

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at) || '0.0.0.0';
  return { host: host.replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

export async function startDiscovery(options: DiscoveryOptions): Promise<DiscoveryServer> {
  const mesh = options.meshConfigFile ? applyMeshConfig(readFileSync(options.meshConfigFile, 'utf8')) : defaultMeshConfig();
  const settings = meshSettings(mesh);
  const source = new DiscoverySource(buildModel(loadRegistryDir(options.configDir)), settings);
  const counters = { reloads: 0, reloadErrors: 0 };

  const reload = (): boolean => {
    try {
      source.update(buildModel(loadRegistryDir(options.configDir)), settings);
      counters.reloads++;
      log.info(`configuration reloaded: version ${source.version}`);
      return true;
    } catch (error) {
      // A broken edit never replaces the last good configuration.
      counters.reloadErrors++;
      log.error(`configuration not reloaded, keeping version ${source.version}: ${(error as Error).message}`);
      return false;
    }
  };
  const stopWatching = watchRegistryDir(options.configDir, reload);
  const ads = await startAdsServer({ address: options.grpcAddr, source });
  log.info(`serving ADS on ${options.grpcAddr} (port ${ads.port}) from ${options.configDir}`);

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/ready') {
      res.end('ready\n');
    } else if (url.pathname === '/debug/syncz') {
      res.setHeader('content-type', 'application/json');
      res.end(`${JSON.stringify(ads.streams().map((s) => ({ proxy: s.nodeId, connectedAt: s.connectedAt, watches: s.watches.map((w) => ({ typeUrl: w.typeUrl, sent: w.sentVersion ?? null, sentNonce: w.sentNonce ?? null, acked: w.ackedVersion ?? null, nack: w.nack ?? null, names: w.names })) })), null, 2)}\n`);
    } else if (url.pathname === '/metrics') {
      const streams = ads.streams();
      const lines = [
        '# HELP pilot_xds Number of endpoints connected to this pilot using XDS.',
        '# TYPE pilot_xds gauge',
        `pilot_xds ${streams.length}`,
        '# HELP pilot_total_xds_rejects Total number of XDS responses from pilot rejected by proxy.',
        '# TYPE pilot_total_xds_rejects gauge',
        `pilot_total_xds_rejects ${streams.reduce((n, s) => n + s.watches.filter((w) => w.nack).length, 0)}`,
        '# HELP outrigger_config_reloads_total Successful registry reloads.',
        '# TYPE outrigger_config_reloads_total counter',
        `outrigger_config_reloads_total ${counters.reloads}`,
        '# HELP outrigger_config_reload_errors_total Registry reloads refused because the new config was broken.',
        '# TYPE outrigger_config_reload_errors_total counter',
        `outrigger_config_reload_errors_total ${counters.reloadErrors}`,
      ];
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(`${lines.join('\n')}\n`);
    } else {
      res.statusCode = 404;
      res.end('not found\n');
    }
  };
  const serveHttp = async (address: string): Promise<http.Server> => {
    const server = http.createServer(handle);
    const { host, port } = hostPort(address);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  };
  const monitoring = await serveHttp(options.monitoringAddr);
  const monitoringPort = (monitoring.address() as { port: number }).port;
  const debug = options.httpAddr !== undefined ? await serveHttp(options.httpAddr) : undefined;

  let webhook: WebhookServer | undefined;
  let generatedDir: string | undefined;
  if (options.webhook) {
    let certFile = options.webhook.tlsCertFile;
    let keyFile = options.webhook.tlsKeyFile;
    if (!certFile || !keyFile) {
      // Like istiod with no certificates given: a CA of our own for this run.
      generatedDir = mkdtempSync(path.join(tmpdir(), 'outrigger-webhook-'));
      chmodSync(generatedDir, 0o700);
      const ca = await createCertificateAuthority({ commonName: 'outrigger-discovery-ca' });
      const serving = await issueServingCertificate(ca, { dnsNames: webhookDnsNames(options.webhook.namespace ?? 'istio-system'), ipAddresses: ['127.0.0.1'] });
      certFile = path.join(generatedDir, 'cert.pem');
      keyFile = path.join(generatedDir, 'key.pem');
      writeFileSync(path.join(generatedDir, 'ca.pem'), ca.cert);
      writeFileSync(certFile, serving.cert);
      writeFileSync(keyFile, serving.key, { mode: 0o600 });
      log.info(`injection webhook certificate generated; its CA (the caBundle) is ${path.join(generatedDir, 'ca.pem')}`);
    }
    const settingsSource = await FileSettingsSource.open({
      ...(options.webhook.injectConfigFile ? { injectConfig: options.webhook.injectConfigFile } : {}),
      ...(options.webhook.valuesFile ? { values: options.webhook.valuesFile } : {}),
      ...(options.meshConfigFile ? { meshConfig: options.meshConfigFile } : {}),
    });
    webhook = await startWebhookServer({ settings: settingsSource, certFile, keyFile, port: options.webhook.port });
    log.info(`serving the injection webhook on port ${webhook.port} (POST /inject)`);
  }

  return {
    grpcPort: ads.port,
    monitoringPort,
    httpPort: debug ? (debug.address() as { port: number }).port : undefined,
    webhook,
    webhookCaFile: generatedDir ? path.join(generatedDir, 'ca.pem') : undefined,
    source,
    ads,
    reload,
    close: async () => {
      stopWatching();
      monitoring.close();
      debug?.close();
      await webhook?.close();
      await ads.close();
      if (generatedDir) rmSync(generatedDir, { recursive: true, force: true });
    },
  };
}
