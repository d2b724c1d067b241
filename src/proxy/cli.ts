// `outrigger proxy -c BOOTSTRAP`: Envoy's command line for the flags we honour.
import { Command, InvalidArgumentError } from 'commander';
import { runProxy } from './server.js';

function positiveInteger(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

export function proxyCommand(): Command {
  return new Command('proxy')
    .description('run the sidecar data plane from an Envoy v3 bootstrap (YAML or JSON)')
    .option('-c, --config-path <file>', 'Envoy v3 bootstrap file (required)')
    .option('--concurrency <n>', 'processes accepting connections (Envoy\'s workers): 1 by default, 0 for one per core', positiveInteger('--concurrency'))
    .option('--drain-time-s <seconds>', 'how long SIGTERM waits for open connections', positiveInteger('--drain-time-s'), 600)
    .option('-l, --log-level <level>', 'trace, debug, info, warning, error, critical or off', 'info')
    .action(async (opts: { configPath?: string; concurrency?: number; drainTimeS: number; logLevel: string }, command: Command) => {
      // Checked here, not by commander, so that `proxy sidecar` does not need a bootstrap.
      if (opts.configPath === undefined) command.error("error: required option '-c, --config-path <file>' not specified");
      await runProxy({ configPath: opts.configPath, concurrency: opts.concurrency, drainTimeS: opts.drainTimeS, logLevel: opts.logLevel });
    });
}
