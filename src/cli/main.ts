// The `outrigger` command line: one subcommand per file in this folder.
import { Command, CommanderError } from 'commander';
import { iptablesCommand } from './iptables.js';
import { kubeInjectCommand } from './kube-inject.js';
import { webhookCommand } from './webhook.js';
import { requestCommand, waitCommand } from './agent-tools.js';
import { discoveryCommand } from './discovery.js';
import { runtimeCommands } from './runtime.js';
import { proxyConfigCommand } from './proxy-config.js';
import { proxyStatusCommand } from './proxy-status.js';
import { proxySidecarCommand } from './proxy-sidecar.js';
import { ConfigError, proxyCommand } from '../proxy/index.js';
import { versionCommand, packageVersion } from './version.js';
import { UsageError } from './errors.js';

export function buildProgram(): Command {
  const program = new Command('outrigger')
    .description("Istio's sidecar mode on Node.js: injection, transparent capture, proxy, control plane and a local mesh runtime")
    .version(packageVersion(), '--version', 'print the version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  program.addCommand(versionCommand());
  program.addCommand(iptablesCommand());
  program.addCommand(kubeInjectCommand());
  program.addCommand(webhookCommand());
  program.addCommand(waitCommand());
  program.addCommand(requestCommand());
  program.addCommand(discoveryCommand());
  for (const command of runtimeCommands()) program.addCommand(command);
  program.addCommand(proxyConfigCommand());
  program.addCommand(proxyStatusCommand());
  program.addCommand(proxyCommand().addCommand(proxySidecarCommand()));
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const sub of all(program).slice(1)) sub.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

/** Go's pflag accepts "-p=15001"; commander reads that as "=15001". */
export function normaliseShortFlags(argv: string[]): string[] {
  return argv.flatMap((arg) => (/^-[a-zA-Z]=/.test(arg) ? [arg.slice(0, 2), arg.slice(3)] : [arg]));
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(normaliseShortFlags(process.argv.slice(2)), { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`Error: ${error.message}\n`);
      process.exitCode = error instanceof UsageError ? error.exitCode : 1;
      return;
    }
    // Anything else is a bug of ours: say what happened in one line, the stack on request.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`Error: ${message}\n`);
    if (process.env['OUTRIGGER_DEBUG']) process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
    else process.stderr.write('(an unexpected error; run with OUTRIGGER_DEBUG=1 for the stack trace)\n');
    process.exitCode = 1;
  }
}

await main();
