// Change detection for mounted files by polling their content. Kubernetes updates ConfigMap and
// Secret volumes by swapping a symlink (..data), which inotify-based watches on the file miss;
// comparing content on a short interval sees every kind of update, and the files are small.
import { readFile } from 'node:fs/promises';

export interface FileWatch {
  close(): void;
}

/** Contents of the files, null for one that cannot be read. */
export type Snapshot = (string | null)[];

async function snapshot(files: readonly string[]): Promise<Snapshot> {
  return Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => null)));
}

/**
 * Calls onChange(contents) after any of the files' contents changed from `initial`. Contents
 * are offered once: a broken file is reported once rather than on every tick, and offered
 * again when it changes (a certificate written before its key, then the key).
 */
export function watchFiles(files: readonly string[], initial: Snapshot, intervalMs: number, onChange: (contents: Snapshot) => void): FileWatch {
  let last = initial.map((c) => c);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    snapshot(files)
      .then((now) => {
        if (now.every((content, i) => content === last[i])) return;
        last = now;
        onChange(now);
      })
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  // A watch never keeps the process alive on its own.
  timer.unref();
  return { close: () => clearInterval(timer) };
}

export async function readSnapshot(files: readonly string[]): Promise<Snapshot> {
  return snapshot(files);
}
