// `outrigger proxy-status` (alias `ps`): istioctl's sync table from discovery's /debug/syncz.
import { Command } from 'commander';
import { renderProxyStatus } from '../debug/index.js';
import { UsageError } from './errors.js';
import { failureReason } from './proxy-config.js';

export function proxyStatusCommand(): Command {
  return new Command('proxy-status')
    .alias('ps')
    .description("Show whether each connected proxy has acknowledged what the control plane last sent (SYNCED, STALE, NOT SENT)")
    .option('--discoveryAddress <host:port>', "discovery's monitoring address", '127.0.0.1:15014')
    .action(async (opts: { discoveryAddress: string }) => {
      if (!/^[^/]+:\d+$/.test(opts.discoveryAddress)) throw new UsageError(`invalid value "${opts.discoveryAddress}" for --discoveryAddress: expected host:port`);
      let syncz: Record<string, unknown>[];
      try {
        const response = await fetch(`http://${opts.discoveryAddress}/debug/syncz`, { signal: AbortSignal.timeout(5000) });
        if (!response.ok) throw new UsageError(`${opts.discoveryAddress}/debug/syncz returned HTTP ${response.status}`);
        syncz = (await response.json()) as Record<string, unknown>[];
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`cannot reach discovery at ${opts.discoveryAddress}: ${failureReason(error)}`);
      }
      process.stdout.write(renderProxyStatus(syncz, `discovery@${opts.discoveryAddress}`));
    });
}
