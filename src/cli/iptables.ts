// `outrigger iptables`: flag-compatible with Istio's istio-iptables.
import { Command, Option } from 'commander';
import { CaptureConfigError, DriftError, captureEnvOnly, captureFlags, machineFacts, resolveCaptureConfig, runCapture } from '../capture/index.js';
import type { FlagValues } from '../capture/index.js';
import { CommandError } from '../capture/exec.js';
import { LogLevelError, setOutputLevels } from '../log/index.js';
import { parseBool } from '../capture/parse.js';
import { UsageError } from './errors.js';

/** Flags of the command itself (not of the capture policy), with Istio's env names. */
const runFlags = [
  { long: 'dry-run', short: 'n', env: 'DRY_RUN', description: 'print the rules that would be applied (iptables-restore input, or the nft script with --native-nftables) and change nothing' },
  { long: 'cleanup-only', env: 'CLEANUP_ONLY', description: 'remove the capture rules, chains, nft tables and TPROXY routing Outrigger installed, and nothing else' },
  { long: 'reconcile', env: 'RECONCILE', description: 'when rules from an earlier run differ from this configuration, replace them (default: fail and change nothing)' },
  { long: 'native-nftables', env: 'NATIVE_NFTABLES', description: 'use the nftables backend: one inet table per hook family, rebuilt with nft -f in one transaction' },
] as const;

export function iptablesCommand(): Command {
  const cmd = new Command('iptables')
    .alias('istio-iptables')
    .description('Set up transparent traffic capture in the current network namespace, as istio-iptables does')
    .allowExcessArguments(false);
  for (const spec of captureFlags) {
    const flags = spec.boolean ? `--${spec.long} [bool]` : `${spec.short ? `-${spec.short}, ` : ''}--${spec.long} <value>`;
    const defaultText = spec.defaultValue === '' ? '' : ` (default ${JSON.stringify(spec.defaultValue)})`;
    cmd.addOption(new Option(flags, `${spec.description}${defaultText}; env ${spec.env.join(', ')}`));
  }
  for (const spec of runFlags) {
    const short = 'short' in spec ? `-${spec.short}, ` : '';
    cmd.addOption(new Option(`${short}--${spec.long} [bool]`, `${spec.description}; env ${spec.env}`));
  }
  cmd.addOption(new Option('--log_output_level <levels>', 'log levels per scope, e.g. default:info,capture:debug'));
  cmd.addHelpText(
    'after',
    `
Environment only: ${captureEnvOnly.ownerGroupsInclude} (groups whose traffic is captured, default "*"),
${captureEnvOnly.ownerGroupsExclude} (groups never captured), ${captureEnvOnly.loopbackCidr} (default 127.0.0.1/32).
Port lists accept ranges (8000-8010 or 8000:8010). Flags win over environment variables.

Examples:
  outrigger iptables -p 15001 -z 15006 -u 1337 -m REDIRECT -i '*' -x "" -b '*' -d 15090,15021,15020 --dry-run
  outrigger iptables -m TPROXY -b 9080 -i 10.96.0.0/12 --ipv6=false
  outrigger iptables --cleanup-only`,
  );
  cmd.action(async (opts: Record<string, string | boolean | undefined>) => {
    const flags: FlagValues = {};
    for (const spec of captureFlags) flags[spec.long] = opts[camel(spec.long)];
    const runOption = (long: string, env: string) => {
      const value = opts[camel(long)];
      if (value !== undefined) return parseBool(`--${long}`, value);
      const fromEnv = process.env[env];
      return fromEnv !== undefined ? parseBool(env, fromEnv) : false;
    };
    try {
      if (typeof opts['log_output_level'] === 'string') setOutputLevels(opts['log_output_level']);
      const config = resolveCaptureConfig(flags, process.env, machineFacts());
      await runCapture(config, {
        dryRun: runOption('dry-run', 'DRY_RUN'),
        cleanupOnly: runOption('cleanup-only', 'CLEANUP_ONLY'),
        reconcile: runOption('reconcile', 'RECONCILE'),
        nftables: runOption('native-nftables', 'NATIVE_NFTABLES'),
      });
    } catch (error) {
      if (error instanceof CaptureConfigError || error instanceof LogLevelError || error instanceof DriftError || error instanceof CommandError) {
        throw new UsageError(error.message);
      }
      throw error;
    }
  });
  return cmd;
}

function camel(long: string): string {
  return long.replace(/[-_]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
