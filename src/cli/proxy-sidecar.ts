// `outrigger proxy sidecar`: the injected istio-proxy container's command. Takes the
// arguments the injection template writes (pilot-agent's names) and runs the agent
// and data plane until SIGTERM, which drains the proxy, or /quitquitquit.
import { Command, InvalidArgumentError } from 'commander';
import { startSidecar } from '../agent/sidecar.js';
import { IdentityError } from '../agent/identity.js';
import { LogLevelError, scope, setOutputLevels } from '../log/index.js';
import { UsageError } from './errors.js';
import { parseDuration } from '../proxy/config/duration.js';

const log = scope('sidecar');

interface SidecarFlags {
  domain?: string;
  proxyLogLevel?: string;
  proxyComponentLogLevel?: string;
  log_output_level?: string;
  log_as_json?: boolean;
  concurrency?: number;
  discoveryAddress?: string;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--concurrency must be a non-negative integer, got "${value}"`);
  return n;
}

/** ProxyConfig's terminationDrainDuration is a protobuf Duration in JSON form ("5s"). */
function durationSeconds(value: unknown, fallback: number): number {
  const parsed = typeof value === 'string' ? parseDuration(value.trim()) : undefined;
  return parsed ? parsed.seconds + parsed.nanos / 1e9 : fallback;
}

export function proxySidecarCommand(): Command {
  return new Command('sidecar')
    .description("run the sidecar agent and proxy as the injected istio-proxy container does: identity from POD_NAME, POD_NAMESPACE, INSTANCE_IP and PROXY_CONFIG, configuration from discovery")
    .option('--domain <domain>', "the pod's DNS domain (the injector passes $(POD_NAMESPACE).svc.cluster.local)")
    .option('--proxyLogLevel <level>', 'proxy log level: trace, debug, info, warning, error, critical or off')
    .option('--proxyComponentLogLevel <spec>', 'per-component proxy log levels (accepted; the proxy has one level)')
    .option('--log_output_level <spec>', 'agent log levels, "scope:level,..."')
    .option('--log_as_json', 'accepted for compatibility; logs stay in text form')
    .option('--concurrency <n>', 'processes accepting connections (Envoy\'s workers): 1 by default, 0 for one per core', nonNegativeInteger)
    .option('--discoveryAddress <host:port>', "discovery server, overriding PROXY_CONFIG's discoveryAddress")
    .action(async (opts: SidecarFlags) => {
      try {
        if (opts.log_output_level) setOutputLevels(opts.log_output_level);
      } catch (error) {
        if (error instanceof LogLevelError) throw new UsageError(error.message);
        throw error;
      }
      let sidecar;
      try {
        sidecar = await startSidecar({
          env: process.env,
          ...(opts.domain ? { domain: opts.domain } : {}),
          ...(opts.discoveryAddress ? { discoveryAddress: opts.discoveryAddress } : {}),
          ...(opts.proxyLogLevel ? { logLevel: opts.proxyLogLevel } : {}),
          ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        });
      } catch (error) {
        if (error instanceof IdentityError) throw new UsageError(error.message);
        throw error;
      }
      const running = sidecar;
      const drainSeconds = durationSeconds(running.identity.proxyConfig['terminationDrainDuration'], 5);
      const onSignal = (signal: NodeJS.Signals) => {
        log.info(`received ${signal}: draining for ${drainSeconds}s`);
        void running.stop(drainSeconds);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      await running.proxy.closed();
      await running.stop();
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
    });
}
