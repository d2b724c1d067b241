// The `outrigger` command line: one subcommand per file in this folder. Each is
// loaded only when it is the one asked for: a sidecar's `outrigger proxy` should not
// carry the webhook, discovery and the runtime in its memory.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../proxy/config/errors.js';
import { versionCommand, packageVersion } from './version.js';
import { UsageError } from './errors.js';

interface CommandModule {
  /** The names and aliases it answers to, as typed first on the command line. */
  names: readonly string[];
  /** The command line is passed for commands whose subcommands are heavy on their own. */
  load(argv: readonly string[]): Promise<Command[]>;
}

const COMMANDS: readonly CommandModule[] = [
  { names: ['version'], load: async () => [versionCommand()] },
  { names: ['iptables', 'istio-iptables'], load: async () => [(await import('./iptables.js')).iptablesCommand()] },
  { names: ['kube-inject'], load: async () => [(await import('./kube-inject.js')).kubeInjectCommand()] },
  { names: ['webhook'], load: async () => [(await import('./webhook.js')).webhookCommand()] },
  {
    names: ['wait', 'request'],
    load: async () => {
      const tools = await import('./agent-tools.js');
      return [tools.waitCommand(), tools.requestCommand()];
    },
  },
  { names: ['discovery'], load: async () => [(await import('./discovery.js')).discoveryCommand()] },
  { names: ['up', 'down', 'get', 'logs', 'exec', 'apply', 'delete', 'describe', 'iptables-save'], load: async () => (await import('./runtime.js')).runtimeCommands() },
  { names: ['proxy-config', 'pc'], load: async () => [(await import('./proxy-config.js')).proxyConfigCommand()] },
  { names: ['proxy-status', 'ps'], load: async () => [(await import('./proxy-status.js')).proxyStatusCommand()] },
  {
    names: ['proxy'],
    load: async (argv) => {
      const { proxyCommand } = await import('../proxy/index.js');
      const proxy = proxyCommand();
      // The agent (gRPC, xDS, DNS) only for `proxy sidecar`, or to list it in help.
      if (argv.includes('sidecar') || argv.includes('--help') || argv.includes('-h') || argv.includes('help')) proxy.addCommand((await import('./proxy-sidecar.js')).proxySidecarCommand());
      return [proxy];
    },
  },
];

/**
 * The program with the command `name` (the first word of the command line); every
 * command when there is none or it is unknown, so that help and commander's
 * "unknown command" suggestions see them all.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const name = argv.find((arg) => !arg.startsWith('-'));
  const program = new Command('outrigger')
    .description("Istio's sidecar mode on Node.js: injection, transparent capture, proxy, control plane and a local mesh runtime")
    .version(packageVersion(), '--version', 'print the version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const wanted = COMMANDS.filter((c) => name !== undefined && c.names.includes(name));
  for (const module of wanted.length > 0 ? wanted : COMMANDS) for (const command of await module.load(argv)) program.addCommand(command);
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const sub of all(program).slice(1)) sub.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

/** Go's pflag accepts "-p=15001"; commander reads that as "=15001". */
export function normaliseShortFlags(argv: string[]): string[] {
  return argv.flatMap((arg) => (/^-[a-zA-Z]=/.test(arg) ? [arg.slice(0, 2), arg.slice(3)] : [arg]));
}

async function main(): Promise<void> {
  const argv = normaliseShortFlags(process.argv.slice(2));
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: 'user' });
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
