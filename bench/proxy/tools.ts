// Installs the native peers the bench needs (HAProxy as the baseline proxy, wrk as the
// closed-loop generator) from Debian when they are missing, so a fresh machine runs the bench
// with one command. Not part of CI: only this bench asks for them.
import { execFileSync, spawnSync } from 'node:child_process';

/** Debian package that provides each command. */
const PACKAGES: Record<string, string> = { haproxy: 'haproxy', wrk: 'wrk' };

function present(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function ensureTools(commands: string[], log: (line: string) => void): void {
  const missing = commands.filter((c) => !present(c));
  if (missing.length === 0) return;
  const packages = missing.map((c) => PACKAGES[c] ?? c);
  log(`installing ${packages.join(', ')} from Debian (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // apt-get update only when needed: it is the slow half, and an up-to-date index installs directly.
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (install().status !== 0) {
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (install().status !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed; install them and re-run`);
  }
  const still = commands.filter((c) => !present(c));
  if (still.length > 0) throw new Error(`still missing after apt-get: ${still.join(', ')}`);
}
