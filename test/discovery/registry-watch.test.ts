// The registry directory's watch sees every way a file changes: written in place,
// replaced by a rename again and again (the runtime's and editors' atomic writes),
// and created in a subdirectory that did not exist when the watch began.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { watchRegistryDir } from '../../src/discovery/registry-dir.js';

test('every change below the directory is reported, also after a file was replaced by a rename', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ortest-registry-watch-'));
  writeFileSync(path.join(dir, 'cluster.yaml'), 'a: 1\n');
  let calls = 0;
  let wake: (() => void) | undefined;
  const stop = watchRegistryDir(dir, () => {
    calls++;
    wake?.();
  }, 20, 100);
  /** Makes a change and waits for the call it causes (the debounce folds one change's events into one). */
  const expectCall = async (what: string, change: () => void) => {
    const before = calls;
    const called = new Promise<void>((resolve) => (wake = resolve));
    change();
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000));
    assert.notEqual(await Promise.race([called, timeout]), 'timeout', `no call after: ${what}`);
    assert.ok(calls > before);
    // Let the debounce settle so the next change is a call of its own.
    await new Promise((resolve) => setTimeout(resolve, 150));
  };
  try {
    const replace = (text: string) => {
      writeFileSync(path.join(dir, '.cluster.yaml.tmp'), text);
      renameSync(path.join(dir, '.cluster.yaml.tmp'), path.join(dir, 'cluster.yaml'));
    };
    await expectCall('the first replacement', () => replace('a: 2\n'));
    await expectCall('a second replacement', () => replace('a: 3\n'));
    await expectCall('a third replacement', () => replace('a: 4\n'));
    await expectCall('a write in place', () => writeFileSync(path.join(dir, 'cluster.yaml'), 'a: 5\n'));
    await expectCall('a new subdirectory', () => mkdirSync(path.join(dir, 'config')));
    await expectCall('a file in the new subdirectory', () => writeFileSync(path.join(dir, 'config', 'vs.yaml'), 'b: 1\n'));
    await expectCall('that file replaced by a rename', () => {
      writeFileSync(path.join(dir, 'config', '.vs.tmp'), 'b: 2\n');
      renameSync(path.join(dir, 'config', '.vs.tmp'), path.join(dir, 'config', 'vs.yaml'));
    });
    await expectCall('that file removed', () => rmSync(path.join(dir, 'config', 'vs.yaml')));
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
