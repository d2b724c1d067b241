// `npm run demo` as a new user runs it (scripts/demo.sh), in its own state
// directory, namespace prefix and address ranges: it must finish, show each
// step's outcome, and leave nothing behind.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { e2eUnavailable, repoRoot } from './netns.js';

const skip = e2eUnavailable();
const prefix = `ortest-demo-${randomBytes(3).toString('hex')}-`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'ortest-demo-'));
const state = path.join(dir, 'state');

const ourNetns = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix));

/** The lines of one step of the report, between its heading and the next. */
function section(report: string, heading: string): string {
  const start = report.indexOf(`== ${heading}`);
  assert.ok(start >= 0, `no "${heading}" step in the report:\n${report}`);
  const next = report.indexOf('== ', start + heading.length);
  return report.slice(start, next < 0 ? undefined : next);
}

describe('npm run demo', { skip }, () => {
  after(() => {
    if (existsSync(path.join(state, 'state.json'))) spawnSync(process.execPath, [path.join(repoRoot, 'bin/outrigger'), 'down', '--state-dir', state]);
    for (const ns of ourNetns()) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('runs Bookinfo as a mesh, shows routing, per-user routing and fault injection taking effect, and tears down', () => {
    const run = spawnSync('bash', [path.join(repoRoot, 'scripts/demo.sh')], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, OUTRIGGER_DEMO_STATE: state, OUTRIGGER_DEMO_PREFIX: prefix, OUTRIGGER_DEMO_POD_CIDR: '10.242.0.0/16', OUTRIGGER_DEMO_SERVICE_CIDR: '10.94.0.0/16' },
    });
    // Bold headings are terminal escapes; the assertions read plain text.
    const report = (run.stdout ?? '').replace(/\x1b\[[0-9;]*m/g, '');
    assert.equal(run.status, 0, `${report}\n${run.stderr}`);

    const injected = section(report, 'What the injector added');
    assert.match(injected, /istio-init:/);
    assert.match(injected, /istio-proxy:/);
    assert.match(injected, /Args: +proxy sidecar/);

    const v1 = section(report, 'outrigger apply: DestinationRules with subsets');
    assert.match(v1, /^ +6 Reviews served by: reviews-v1-/m);
    assert.doesNotMatch(v1, /reviews-v[23]-/);

    const split = section(report, 'Shift: half of the reviews traffic to v3');
    assert.match(split, /Reviews served by: reviews-v1-/);
    assert.match(split, /Reviews served by: reviews-v3-/);

    const fault = section(report, 'Per-user routing and fault injection');
    assert.match(fault, /jason: +\d+ Ratings service is currently unavailable/);
    assert.match(fault, /jason: +1 Reviews served by: reviews-v2-/);
    assert.match(fault, /alice: +1 Reviews served by: reviews-v3-/);
    assert.match(fault, /alice: +\d+ class="stars"/);
    assert.doesNotMatch(fault, /alice: .*unavailable/);

    assert.match(section(report, "What productpage's sidecar counted"), /^cluster\.outbound\|9080\|v1\|reviews\.default\.svc\.cluster\.local\.upstream_rq_2xx: [1-9]/m);
    assert.match(section(report, 'Capture at work'), /^\[[1-9]\d*:\d+\] -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001$/m);
    assert.match(section(report, 'outrigger down'), /supervisor: stopped/);
    assert.deepEqual(ourNetns(), []);
    assert.ok(!existsSync(path.join(state, 'state.json')));
  });
});
