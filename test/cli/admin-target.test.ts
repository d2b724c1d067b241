// proxy-config's TARGET: an admin address, or a pod of the local runtime.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminBase, adminTarget } from '../../src/cli/admin-target.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ortest-admin-target-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('proxy-config targets', () => {
  test('addresses: host:port, a bare port, [v6]:port and URLs', () => {
    assert.equal(adminBase('127.0.0.1:15000'), 'http://127.0.0.1:15000');
    assert.equal(adminBase('15000'), 'http://127.0.0.1:15000');
    assert.equal(adminBase('[::1]:15000'), 'http://[::1]:15000');
    assert.equal(adminBase('http://10.0.0.1:15000/'), 'http://10.0.0.1:15000');
    assert.equal(adminTarget('localhost:15000').describe, 'http://localhost:15000');
  });

  test('neither an address nor a pod name', () => {
    assert.throws(() => adminTarget('not/a target'), /^UsageError: invalid target "not\/a target": give the proxy's admin address as host:port/);
  });

  test('a pod name with no runtime running says where it looked', () => {
    assert.throws(() => adminTarget('productpage-v1-abc', { stateDir: path.join(dir, 'none') }), {
      message: `"productpage-v1-abc" is neither an admin address (host:port) nor a pod: no local runtime is running in ${path.join(dir, 'none')} (set OUTRIGGER_STATE_DIR for another one)`,
    });
  });

  test('runtime pods: found by POD.NAMESPACE or -n; missing pods and pods without a sidecar are named', () => {
    const state = path.join(dir, 'state');
    const pods = [
      { name: 'reviews-v1-abc', namespace: 'default', netns: 'ns-reviews', containers: [{ container: 'reviews' }, { container: 'istio-proxy' }], initContainers: [{ container: 'istio-init' }] },
      { name: 'plain-xyz', namespace: 'tools', netns: 'ns-plain', containers: [{ container: 'plain' }], initContainers: [] },
    ];
    // The two files of the state directory the target reads.
    mkdirSync(state, { recursive: true });
    writeFileSync(path.join(state, 'state.json'), JSON.stringify({ supervisorPid: 0, netns: [], etcNetns: [], staged: [] }));
    writeFileSync(path.join(state, 'plan.json'), JSON.stringify({ pods }));
    assert.equal(adminTarget('reviews-v1-abc', { stateDir: state }).describe, 'reviews-v1-abc.default');
    assert.equal(adminTarget('reviews-v1-abc.default', { stateDir: state }).describe, 'reviews-v1-abc.default');
    assert.throws(() => adminTarget('reviews-v1-abc', { stateDir: state, namespace: 'prod' }), { message: 'pods "reviews-v1-abc" not found in namespace "prod"' });
    assert.throws(() => adminTarget('plain-xyz.tools', { stateDir: state }), { message: 'pod plain-xyz.tools has no sidecar' });
  });
});
