// The proxy pair's cost: a direct client→server run, a client→Outrigger→Outrigger→server
// chain (a sidecar pair) and the same chain through HAProxy, in one run, at a fixed rate in an
// open loop (latency from the scheduled send time) and at maximum throughput (closed loop).
// Prints the latency each pair adds, requests/s, CPU seconds per 1000 requests and peak RSS
// per proxy, and the Outrigger/HAProxy ratios. Installs HAProxy and wrk from Debian if missing.
//
//   npx tsc -p tsconfig.json && node --import tsx bench/proxy/run.ts
//     [--seconds 10] [--warmup 2] [--rate 1000] [--connections 16] [--max-connections 16] [--body 1024]
//     [--setups direct,outrigger,haproxy] [--loads rate,max] [--haproxy-threads 1]
//     [--cpu-prof DIR] [--node-flags='--max-semi-space-size=1'] [--json]
//
// Processes: the upstream (bench/proxy/upstream-server.ts: a 1 KB answer to a 1 KB POST), each
// proxy, and the generator are separate processes, so each proxy's CPU and memory are read by
// PID from /proc. The open-loop generator is ours (open-loop.ts); maximum throughput is wrk
// with one thread and the same connection count. HAProxy runs with nbthread 1 by default, to
// compare with Outrigger's single Node event loop.
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { direct, haproxyPair, outriggerPair } from './chains.js';
import type { Chain, ChainOptions } from './chains.js';
import { maxPhase, openLoopPhase } from './phases.js';
import type { PhaseResult } from './phases.js';
import { killAll, killChildrenOnExit, start, stop, freePort, waitForPort } from './processes.js';
import { summarizeProfiles } from './profile.js';
import { render } from './report.js';
import { ensureTools } from './tools.js';
import { writeWrkScript } from './wrk.js';

const USAGE = `usage: node --import tsx bench/proxy/run.ts [options]
  --seconds N          measured seconds per phase (10)
  --warmup N           warm-up seconds per phase (2)
  --rate N             open-loop requests/s (1000)
  --connections N      open-loop connections (16)
  --max-connections N  wrk connections at max throughput (--connections)
  --body N             request and response body bytes (1024)
  --setups LIST        direct,outrigger,haproxy
  --loads LIST         rate,max
  --haproxy-threads N  HAProxy nbthread (1)
  --cpu-prof DIR       write and summarise the Outrigger proxies' CPU profiles
  --node-flags FLAGS   extra Node flags for the Outrigger proxies
  --json               machine-readable results
`;

function parseOptions() {
  try {
    return parseArgs({
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        seconds: { type: 'string', default: '10' },
        warmup: { type: 'string', default: '2' },
        rate: { type: 'string', default: '1000' },
        connections: { type: 'string', default: '16' },
        'max-connections': { type: 'string' },
        body: { type: 'string', default: '1024' },
        setups: { type: 'string', default: 'direct,outrigger,haproxy' },
        loads: { type: 'string', default: 'rate,max' },
        'haproxy-threads': { type: 'string', default: '1' },
        'cpu-prof': { type: 'string' },
        'node-flags': { type: 'string', default: '' },
        json: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

/** A positive number option, or a one-line error naming it. */
function positive(name: string, text: string, integer = true): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    process.stderr.write(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"\n`);
    process.exit(2);
  }
  return n;
}

const args = parseOptions();
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const seconds = positive('seconds', args.seconds, false);
const warmup = Number(args.warmup) === 0 ? 0 : positive('warmup', args.warmup, false);
const rate = positive('rate', args.rate);
const connections = positive('connections', args.connections);
const maxConnections = positive('max-connections', args['max-connections'] ?? args.connections);
const body = Number(args.body) === 0 ? 0 : positive('body', args.body);
positive('haproxy-threads', args['haproxy-threads']);
const setups = args.setups.split(',');
const loads = args.loads.split(',');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (line: string) => process.stderr.write(`${line}\n`);

const STARTERS: Record<string, (o: ChainOptions) => Promise<Chain>> = { direct, outrigger: outriggerPair, haproxy: haproxyPair };

async function main(): Promise<void> {
  for (const s of setups) if (!STARTERS[s]) throw new Error(`unknown setup "${s}" (direct, outrigger, haproxy)`);
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run "npx tsc -p tsconfig.json" first');
  if (setups[0] !== 'direct') log('note: without "direct" first, the added latency columns stay empty');
  ensureTools([...(setups.includes('haproxy') ? ['haproxy'] : []), ...(loads.includes('max') ? ['wrk'] : [])], log);
  killChildrenOnExit();
  const dir = mkdtempSync(path.join(tmpdir(), 'outrigger-bench-proxy-'));
  // 'exit' also runs when Ctrl-C ends the process, where the finally below does not.
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const profileDir = args['cpu-prof'] ? path.resolve(args['cpu-prof']) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  try {
    const upstreamPort = await freePort();
    const upstream = start(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'proxy', 'upstream-server.ts'), '--port', String(upstreamPort), '--body', String(body)], { cwd: root });
    await waitForPort(upstreamPort, upstream);
    const script = writeWrkScript(dir, body);
    const options: ChainOptions = {
      root,
      dir,
      upstreamPort,
      // --node-flags: e.g. V8 heap sizing, to see what memory settings do to the Outrigger proxies.
      nodeFlags: [...args['node-flags'].split(' ').filter(Boolean), ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [])],
      haproxyThreads: Number(args['haproxy-threads']),
    };
    const results: PhaseResult[] = [];
    for (const setup of setups) {
      const chain = await STARTERS[setup]!(options);
      try {
        if (loads.includes('rate')) {
          log(`${setup}: ${rate} req/s open loop, ${warmup}s warm-up + ${seconds}s`);
          results.push(await openLoopPhase(chain, upstream, { root, rate, seconds, warmup, connections, body }));
        }
        if (loads.includes('max')) {
          log(`${setup}: maximum throughput (wrk, ${maxConnections} connections), ${warmup}s warm-up + ${seconds}s`);
          results.push(await maxPhase(chain, upstream, { script, seconds, warmup, connections: maxConnections }));
        }
      } finally {
        await chain.stop();
      }
    }
    await stop(upstream);
    for (const r of results) if (r.firstErrors?.length) log(`${r.setup} ${r.load}: first errors: ${r.firstErrors.join('; ')}`);
    const labels = { rate: `${rate}/s open`, max: `max (${maxConnections} conns)` };
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), options: { seconds, warmup, rate, connections, maxConnections, body, haproxyThreads: options.haproxyThreads }, results }, null, 2)}\n`);
    } else {
      process.stdout.write(`${render(results, labels)}\n`);
    }
    if (profileDir) process.stdout.write(`\nCPU profiles of the Outrigger proxies (${profileDir}):\n${summarizeProfiles(profileDir)}\n`);
  } finally {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  // One line for what went wrong; the stack only when asked for.
  process.stderr.write(`${error instanceof Error ? (process.env['OUTRIGGER_DEBUG'] ? (error.stack ?? error.message) : error.message) : String(error)}\n`);
  killAll();
  process.exit(1);
});
