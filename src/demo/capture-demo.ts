// `npm run demo`: transparent capture, for real, in two network namespaces.
// A "pod" namespace gets the rules istio-init would install; an app inside it and a
// client outside talk to each other, and every connection is seen passing through
// the sidecar's ports 15001 and 15006 with its original destination recovered.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { stage } from '../stage/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const node = process.execPath;
const outrigger = path.join(root, 'bin', 'outrigger');

const POD = 'outrigger-demo-pod';
const PEER = 'outrigger-demo-peer';
const POD_IP = '10.251.0.10';
const PEER_IP = '10.251.0.20';
const APP_UID = 1000;
const PROXY_UID = 1337;

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s: string) => process.stdout.write(`\n${bold(`== ${s}`)}\n`);
const children: ChildProcess[] = [];
// The app and the sidecar run as uids 1000 and 1337, which may not be able to read
// this checkout: they run from a world-readable copy of what they need.
const staged = stage(['dist/demo/echo-server.js', 'dist/demo/forwarder.js'], 'outrigger-demo-');
const demoDir = staged.path('dist/demo');

function sh(args: string[], quiet = false): string {
  const result = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (result.status !== 0 && !quiet) throw new Error(`${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout ?? '';
}

function inNs(ns: string, args: string[], uid?: number): string[] {
  const user = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'];
  return ['ip', 'netns', 'exec', ns, ...user, ...args];
}

/** Starts a process, echoing its lines with a label; resolves when it prints "ready". */
function start(label: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const timer = setTimeout(() => reject(new Error(`${label} did not start`)), 10_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ready')) {
        clearTimeout(timer);
        resolve();
      } else process.stdout.write(`   [${label}] ${line}\n`);
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(`   [${label}] ${d.toString()}`));
  });
}

function teardown(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const ns of [POD, PEER]) sh(['ip', 'netns', 'del', ns], true);
}

process.on('exit', () => staged.remove());

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('The demo creates network namespaces and iptables rules: run it as root (sudo npm run demo).\n');
    process.exit(1);
  }
  teardown(); // leftovers of an interrupted run
  process.on('SIGINT', () => {
    teardown();
    process.exit(130);
  });

  step('A "pod" network namespace and the network outside it');
  sh(['ip', 'netns', 'add', POD]);
  sh(['ip', 'netns', 'add', PEER]);
  sh(['ip', 'link', 'add', 'ordemo0', 'netns', POD, 'type', 'veth', 'peer', 'name', 'ordemo1', 'netns', PEER]);
  for (const [ns, dev, ip] of [[POD, 'ordemo0', POD_IP], [PEER, 'ordemo1', PEER_IP]] as const) {
    sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
    sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  }
  process.stdout.write(`   pod ${POD} at ${POD_IP}; "ratings" service outside at ${PEER_IP}:9080\n`);

  step('istio-init: outrigger istio-iptables, with the arguments the injector writes');
  const initArgs = ['istio-iptables', '-p', '15001', '-z', '15006', '-u', String(PROXY_UID), '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--ipv6=false'];
  process.stdout.write(`   $ outrigger ${initArgs.map((a) => (a === '' || a === '*' ? `'${a}'` : a)).join(' ')}\n`);
  sh(inNs(POD, [node, outrigger, ...initArgs, '--log_output_level=default:warn,capture:warn']));
  const nat = sh(inNs(POD, ['iptables', '-t', 'nat', '-S']));
  for (const line of nat.split('\n').filter((l) => l.startsWith('-A'))) process.stdout.write(`   ${line}\n`);

  step('The workloads: an app in the pod (uid 1000), ratings outside, the sidecar ports (uid 1337)');
  await start('app', inNs(POD, [node, path.join(demoDir, 'echo-server.js'), 'productpage', '9080'], APP_UID));
  await start('ratings', inNs(PEER, [node, path.join(demoDir, 'echo-server.js'), 'ratings', '9080']));
  await start('sidecar', inNs(POD, [node, path.join(demoDir, 'forwarder.js')], PROXY_UID));
  process.stdout.write('   the sidecar listens on 15001 and 15006 and forwards to each connection\'s original destination\n');

  step(`Outbound: the app calls http://${PEER_IP}:9080/ratings (it knows nothing of the sidecar)`);
  const out = sh(inNs(POD, ['curl', '-sS', '--max-time', '5', `http://${PEER_IP}:9080/ratings`], APP_UID));
  await new Promise((r) => setTimeout(r, 100));
  process.stdout.write(`   app got: ${out}`);
  process.stdout.write('   (ISTIO_OUTPUT → ISTIO_REDIRECT → 15001; the sidecar, uid 1337, is not captured again)\n');

  step(`Inbound: a client outside calls http://${POD_IP}:9080/productpage`);
  const inbound = sh(inNs(PEER, ['curl', '-sS', '--max-time', '5', `http://${POD_IP}:9080/productpage`]));
  await new Promise((r) => setTimeout(r, 100));
  process.stdout.write(`   client got: ${inbound}`);
  process.stdout.write('   (PREROUTING → ISTIO_INBOUND → ISTIO_IN_REDIRECT → 15006; the sidecar reaches the app from 127.0.0.6, which ISTIO_OUTPUT lets through)\n');

  step('Excluded port: 15020 is in -d, so it reaches the pod directly (nothing listens there: refused)');
  const excluded = spawnSync('ip', inNs(PEER, ['curl', '-sS', '--max-time', '3', `http://${POD_IP}:15020/`]).slice(1), { encoding: 'utf8' });
  process.stdout.write(`   ${(excluded.stderr || excluded.stdout).trim()}\n`);

  step('Clean up: outrigger iptables --cleanup-only');
  sh(inNs(POD, [node, outrigger, 'iptables', '--cleanup-only', '--log_output_level=capture:warn']));
  const left = sh(inNs(POD, ['iptables', '-t', 'nat', '-S'])).split('\n').filter((l) => l.includes('ISTIO'));
  process.stdout.write(`   ISTIO rules left: ${left.length}\n`);
  teardown();
  process.stdout.write(`\n${bold('Done.')} Namespaces removed. Run "bin/outrigger iptables --help" for every flag.\n`);
}

main().catch((error: unknown) => {
  teardown();
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
