// Bookinfo on the local runtime, without sidecars, driven through the command
// line as a user would: `outrigger up` starts a supervisor and waits for every
// pod to be 1/1 Running; productpage, called through its Service VIP from
// another pod, shows reviews from v1, v2 and v3 (kube-proxy picks an endpoint
// per connection); then the supervisor is killed, as in a crash, and
// `outrigger down` must still leave no namespace, link, rule, process or file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { e2eUnavailable, repoRoot } from './netns.js';

const skip = e2eUnavailable();
const id = randomBytes(3).toString('hex');
const prefix = `ortest-rt-${id}-`;
const stateDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'ortest-rt-state-')), 'state');

function cli(args: string[], timeout = 30_000) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), args[0]!, '--state-dir', stateDir, ...args.slice(1)], { cwd: repoRoot, encoding: 'utf8', timeout });
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function ourNetns(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix));
}

/** Everything the cluster could leave on the host, to compare before and after. */
function hostTraces(): { links: string; nat: string; filter: string; etc: string[]; processes: string[] } {
  const run = (args: string[]) => spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' }).stdout ?? '';
  return {
    links: run(['ip', '-o', 'link', 'show']).split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]).filter(Boolean).sort().join(' '),
    nat: run(['iptables-save', '-t', 'nat']).split('\n').filter((l) => l.includes('KUBE-') || l.includes('10.96.') || l.includes('10.244.')).join('\n'),
    filter: run(['iptables-save', '-t', 'filter']).split('\n').filter((l) => l.includes('KUBE-')).join('\n'),
    etc: existsSync('/etc/netns') ? run(['ls', '/etc/netns']).split('\n').filter((n) => n.startsWith(prefix)) : [],
    processes: run(['ps', '-eo', 'pid,args']).split('\n').filter((l) => l.includes(prefix) || l.includes('bookinfo/src/') && l.includes('outrigger-samples-')),
  };
}

describe('Bookinfo on the local runtime (no sidecars)', { skip }, () => {
  let before_: ReturnType<typeof hostTraces>;
  let supervisorPid: number | undefined;

  before(() => {
    before_ = hostTraces();
  });

  after(() => {
    // Whatever happened, leave nothing behind.
    if (existsSync(path.join(stateDir, 'state.json'))) cli(['down']);
    for (const ns of ourNetns()) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(path.dirname(stateDir), { recursive: true, force: true });
  });

  test('up without root says so and creates nothing', (t) => {
    // uid 1000 runs the CLI from the checkout, which it may not be allowed to read.
    const readable = spawnSync('setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', '--', 'test', '-r', path.join(repoRoot, 'node_modules/tsx/package.json')]).status === 0;
    if (!readable) return t.skip('uid 1000 cannot read the checkout');
    const result = spawnSync('setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', '--', process.execPath, '--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'up', '-f', path.join(repoRoot, 'samples/bookinfo'), '--state-dir', stateDir, '--netns-prefix', prefix], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^Error: the local runtime needs root \(CAP_NET_ADMIN and CAP_SYS_ADMIN\) to create network namespaces: run it with sudo$/m);
    assert.deepEqual(ourNetns(), []);
    assert.equal(existsSync(stateDir), false);
  });

  test('up: every pod 1/1 Running', () => {
    const up = cli(['up', '-f', path.join(repoRoot, 'samples/bookinfo'), '--netns-prefix', prefix, '--wait', '20']);
    assert.equal(up.status, 0, up.stderr + up.stdout);
    const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as { supervisorPid: number };
    supervisorPid = state.supervisorPid;
    const get = cli(['get', 'pods', '-o', 'wide']);
    assert.equal(get.status, 0, get.stderr);
    const rows = get.stdout.trim().split('\n');
    assert.match(rows[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
    const pods = rows.slice(1).map((r) => r.split(/\s{2,}/));
    assert.deepEqual(pods.map((p) => p[0]!.replace(/-[a-z0-9]{10}-[a-z0-9]{5}$/, '')), ['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3'], 'sorted by name, as kubectl does');
    for (const p of pods) assert.deepEqual([p[1], p[2], p[3]], ['1/1', 'Running', '0'], p.join(' '));
    assert.ok(pods.every((p) => /^10\.244\.0\.\d+$/.test(p[5]!)));
    const svc = cli(['get', 'svc']);
    assert.match(svc.stdout, /^productpage\s+ClusterIP\s+10\.96\.0\.\d+\s+<none>\s+9080\/TCP/m);
  });

  test('productpage through its VIP from another pod shows reviews v1, v2 and v3', () => {
    const details = cli(['get', 'pods']).stdout.split('\n').find((l) => l.startsWith('details-v1'))!.split(/\s+/)[0]!;
    // One exec, thirty requests: each a new connection, so kube-proxy picks anew each time
    // (the chance of missing a version is 3 * (2/3)^30, about 1 in 60000).
    const loop = 'for i in $(seq 30); do curl -s -m 5 -H "end-user: jason" http://productpage:9080/productpage; echo "<<END>>"; done';
    const out = cli(['exec', details, '--', 'sh', '-c', loop]);
    assert.equal(out.status, 0, out.stderr);
    const pages = out.stdout.split('<<END>>').slice(0, 30);
    const seen = new Set<string>();
    for (const page of pages) {
      assert.match(page, /<h1>The Comedy of Errors<\/h1>/);
      assert.match(page, /Signed in as jason/);
      assert.doesNotMatch(page, /Error fetching/);
      const version = /Reviews served by: reviews-(v\d)-\S+ \(reviews-(v\d)\)/.exec(page);
      assert.ok(version, page);
      // v2 and v3 asked ratings through its VIP too; v1 shows no stars.
      if (version[2] === 'v1') assert.doesNotMatch(page, /class="stars"/);
      else assert.match(page, new RegExp(`class="stars" style="color:${version[2] === 'v2' ? 'black' : 'red'}">★★★★★`));
      seen.add(version[2]!);
    }
    assert.deepEqual([...seen].sort(), ['v1', 'v2', 'v3']);
  });

  test('a pod reaches itself through its own Service VIP (hairpin)', () => {
    const reviewsV1 = cli(['get', 'pods']).stdout.split('\n').find((l) => l.startsWith('reviews-v1'))!.split(/\s+/)[0]!;
    const out = cli(['exec', reviewsV1, '--', 'sh', '-c', 'for i in $(seq 30); do curl -s -m 3 http://reviews:9080/reviews/0; echo; done']);
    const versions = out.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { version: string }).version);
    assert.equal(versions.length, 30);
    assert.ok(versions.includes('v1'), `never landed on itself: ${versions.join(' ')}`);
  });

  test('exec runs as the container user; logs show the container output', () => {
    const ratings = cli(['get', 'pods']).stdout.split('\n').find((l) => l.startsWith('ratings-v1'))!.split(/\s+/)[0]!;
    assert.match(cli(['exec', '-it', ratings, '--', 'id', '-u']).stdout, /^1000$/m);
    assert.match(cli(['logs', ratings]).stdout, /ratings listening on 9080/);
    assert.match(cli(['logs', 'nope']).stderr, /pods "nope" not found in namespace "default"/);
    const described = cli(['describe', 'pod', ratings]).stdout;
    assert.match(described, /^Status:\s+Running$/m);
    assert.match(described, /^    Readiness:\s+tcp-socket :9080 /m);
    assert.match(described, /^      POD_NAME:  ratings-v1-/m);
  });

  test('apply/delete change Istio config in the registry; iptables-save shows kube-proxy counters', () => {
    const vs = path.join(repoRoot, 'samples/bookinfo/networking/virtual-service-all-v1.yaml');
    const applied = cli(['apply', '-f', vs]);
    assert.equal(applied.status, 0, applied.stderr);
    assert.equal(applied.stdout, ['productpage', 'reviews', 'ratings', 'details'].map((n) => `virtualservice.networking.istio.io/${n} created\n`).join(''));
    assert.ok(existsSync(path.join(stateDir, 'registry/config/virtualservice.default.reviews.yaml')));
    assert.match(cli(['get', 'vs']).stdout, /^reviews\s+\["reviews"\]\s+\d+s$/m);
    assert.match(cli(['delete', '-f', vs]).stdout, /^virtualservice.networking.istio.io "reviews" deleted$/m);
    assert.equal(existsSync(path.join(stateDir, 'registry/config/virtualservice.default.reviews.yaml')), false);
    // The manifests the cluster runs, applied again, change nothing.
    const same = cli(['apply', '-f', path.join(repoRoot, 'samples/bookinfo/bookinfo.yaml')]);
    assert.equal(same.status, 0, same.stderr);
    assert.match(same.stdout, /^service\/details unchanged$/m);
    assert.match(same.stdout, /^deployment\.apps\/reviews-v3 unchanged$/m);
    assert.doesNotMatch(same.stdout, /created|configured/);
    // The VIP calls above went through the node's DNAT rules.
    const nat = cli(['iptables-save', 'node', '-t', 'nat']).stdout;
    assert.match(nat, /^\[[1-9]\d*:\d+\] -A KUBE-SERVICES -d 10\.96\.0\.\d+\/32 -p tcp -m comment --comment "default\/productpage:http cluster IP"/m);
  });

  test('down after a supervisor crash leaves nothing behind', () => {
    assert.ok(supervisorPid);
    process.kill(supervisorPid, 'SIGKILL');
    assert.equal(ourNetns().length, 7, 'the namespaces outlive the supervisor');
    assert.match(cli(['get', 'pods']).stderr, /the supervisor \(pid \d+\) is not running: statuses are stale/);
    const down = cli(['down']);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stdout, /removed 7 network namespaces/);
    assert.deepEqual(ourNetns(), []);
    assert.deepEqual(hostTraces(), before_);
    assert.equal(existsSync(stateDir), false);
    assert.match(cli(['get', 'pods']).stderr, /no cluster is running here/);
  });
});
