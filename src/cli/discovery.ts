// `outrigger discovery`: pilot-discovery's flags, Outrigger's control plane.
import { Command } from 'commander';
import { RegistryError } from '../discovery/registry-dir.js';
import { startDiscovery } from '../discovery/server.js';
import { MeshConfigError } from '../inject/mesh.js';
import { LogLevelError, setOutputLevels } from '../log/index.js';
import { UsageError } from './errors.js';
import { KubeInjectError } from '../inject/kube-inject.js';
import { CertificateError } from '../webhook/index.js';

export function discoveryCommand(): Command {
  return new Command('discovery')
    .description('Serve Envoy xDS v3 (ADS over gRPC) generated from a registry directory, as pilot-discovery does')
    .requiredOption('--configDir <dir>', 'directory of Kubernetes YAML (Services, Pods, Endpoints, ServiceEntries, VirtualServices, DestinationRules), watched for changes')
    .option('--grpcAddr <address>', 'ADS address', ':15010')
    .option('--monitoringAddr <address>', 'monitoring address (/metrics, /debug/syncz, /ready)', ':15014')
    .option('--httpAddr <address>', 'debug address serving /debug/syncz, /metrics and /ready as the monitoring address does (pilot-discovery: :8080); off unless given')
    .option('--meshConfig <file>', 'mesh config (the mesh key of the istio ConfigMap)')
    .option('--webhookPort <port>', 'serve the sidecar injection webhook (POST /inject) on this port, as istiod does; 0 turns it off', '15017')
    .option('--injectConfigFile <file>', 'injection config for the webhook (default: Outrigger\'s template)')
    .option('--valuesFile <file>', 'injection values for the webhook')
    .option('--tlsCertFile <file>', 'webhook serving certificate (default: a CA and certificate made for this run)')
    .option('--tlsKeyFile <file>', 'webhook serving key')
    .option('--log_output_level <levels>', 'log levels per scope, e.g. default:info,ads:debug')
    .action(async (opts: { configDir: string; grpcAddr: string; monitoringAddr: string; httpAddr?: string; meshConfig?: string; log_output_level?: string; webhookPort: string; injectConfigFile?: string; valuesFile?: string; tlsCertFile?: string; tlsKeyFile?: string }) => {
      try {
        if (opts.log_output_level) setOutputLevels(opts.log_output_level);
        if (!/^\d+$/.test(opts.webhookPort) || Number(opts.webhookPort) > 65535) throw new UsageError(`invalid value "${opts.webhookPort}" for --webhookPort: not a port number`);
        if (Boolean(opts.tlsCertFile) !== Boolean(opts.tlsKeyFile)) throw new UsageError('--tlsCertFile and --tlsKeyFile go together');
        const webhookPort = Number(opts.webhookPort);
        const server = await startDiscovery({
          configDir: opts.configDir,
          grpcAddr: opts.grpcAddr,
          monitoringAddr: opts.monitoringAddr,
          ...(opts.httpAddr ? { httpAddr: opts.httpAddr } : {}),
          ...(opts.meshConfig ? { meshConfigFile: opts.meshConfig } : {}),
          ...(webhookPort > 0
            ? { webhook: { port: webhookPort, ...(opts.injectConfigFile ? { injectConfigFile: opts.injectConfigFile } : {}), ...(opts.valuesFile ? { valuesFile: opts.valuesFile } : {}), ...(opts.tlsCertFile ? { tlsCertFile: opts.tlsCertFile, tlsKeyFile: opts.tlsKeyFile! } : {}) } }
            : {}),
        });
        const stop = () => {
          void server.close().then(() => process.exit(0));
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      } catch (error) {
        if (error instanceof RegistryError || error instanceof MeshConfigError || error instanceof LogLevelError || error instanceof KubeInjectError || error instanceof CertificateError) throw new UsageError(error.message);
        if (error instanceof UsageError) throw error;
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`address in use: ${(error as Error).message}`);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError((error as Error).message);
        throw error;
      }
    });
}
