// Processes that run as another user (the proxy as 1337, an app as 1000) must be
// able to read their code, but a checkout under /root or a 0700 temporary
// directory is closed to them. stage() copies the files they need, keeping
// their paths relative to the package root, into a fresh world-readable directory.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../paths.js';

export { packageRoot };

/** Files every staged program needs: ESM needs package.json's "type", the addon its binary. */
export const stageBase = ['package.json', 'dist/paths.js', 'dist/native/index.js', 'native/build/Release/outrigger_native.node'];

export interface Stage {
  dir: string;
  path(relative: string): string;
  remove(): void;
}

export function stage(relativePaths: readonly string[], prefix = 'outrigger-stage-'): Stage {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755);
  for (const relative of new Set([...stageBase, ...relativePaths])) {
    const target = path.join(dir, relative);
    // Each directory on the way must be traversable by everyone.
    let current = dir;
    for (const part of path.dirname(relative).split(path.sep).filter((p) => p !== '.' && p !== '')) {
      current = path.join(current, part);
      mkdirSync(current, { recursive: true, mode: 0o755 });
      chmodSync(current, 0o755);
    }
    copyFileSync(path.join(packageRoot, relative), target);
    chmodSync(target, 0o644);
  }
  return {
    dir,
    path: (relative) => path.join(dir, relative),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
