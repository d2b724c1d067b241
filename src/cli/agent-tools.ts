// pilot-agent's small subcommands, under the same names, so that pods injected
// with Istio's own template run on Outrigger: `wait` (hold the app until the proxy
// is ready) and `request` (call the proxy's admin API from inside the pod).
import { Command, Option } from 'commander';
import { UsageError } from './errors.js';

function positiveInt(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) === 0) throw new UsageError(`invalid value "${value}" for ${flag}: must be a positive integer`);
    return Number(value);
  };
}

async function probe(url: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status === 200 ? undefined : `HTTP status code ${response.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error as Error).name ?? String(error);
  }
}

export function waitCommand(): Command {
  return new Command('wait')
    .description('Wait until the sidecar proxy is ready (used as the proxy container\'s postStart hook)')
    .addOption(new Option('--timeoutSeconds <n>', 'give up after this many seconds').default(60).argParser(positiveInt('--timeoutSeconds')))
    .addOption(new Option('--requestTimeoutMillis <n>', 'timeout of each readiness request').default(500).argParser(positiveInt('--requestTimeoutMillis')))
    .addOption(new Option('--periodMillis <n>', 'time between readiness requests').default(500).argParser(positiveInt('--periodMillis')))
    .option('--url <url>', 'readiness URL', 'http://localhost:15021/healthz/ready')
    .action(async (opts: { timeoutSeconds: number; requestTimeoutMillis: number; periodMillis: number; url: string }) => {
      process.stdout.write(`Waiting for the proxy to be ready (timeout: ${opts.timeoutSeconds} seconds)...\n`);
      const deadline = Date.now() + opts.timeoutSeconds * 1000;
      let last: string | undefined = 'not tried';
      while (Date.now() < deadline) {
        last = await probe(opts.url, opts.requestTimeoutMillis);
        if (last === undefined) {
          process.stdout.write('The proxy is ready!\n');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(opts.periodMillis, Math.max(0, deadline - Date.now()))));
      }
      throw new UsageError(`timeout waiting for the proxy to become ready. Last error: ${last}`);
    });
}

export function requestCommand(): Command {
  return new Command('request')
    .description("Make an HTTP request to the proxy's admin API, e.g. request GET stats")
    .argument('<method>', 'HTTP method (GET, POST)')
    .argument('<path>', 'admin path, e.g. /stats or config_dump')
    .argument('[body]', 'request body')
    .addOption(new Option('--debug-port <port>', 'admin port of the proxy').default(15000).argParser(positiveInt('--debug-port')))
    .action(async (method: string, path: string, body: string | undefined, opts: { debugPort: number }) => {
      const url = `http://localhost:${opts.debugPort}/${path.replace(/^\//, '')}`;
      let response: Response;
      try {
        response = await fetch(url, { method: method.toUpperCase(), ...(body !== undefined ? { body } : {}) });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        throw new UsageError(`${method.toUpperCase()} ${url} failed: ${cause?.code ?? (error as Error).message}`);
      }
      const text = await response.text();
      process.stdout.write(text);
      if (!response.ok) throw new UsageError(`${method.toUpperCase()} ${url} returned HTTP ${response.status}`);
    });
}
