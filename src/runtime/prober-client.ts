// The supervisor's side of the prober: starts it in the node namespace and
// matches answers to requests.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ProbeAnswer, ProbeRequest } from './prober.js';

/** How to start another module of this package with the same Node (tsx or compiled). */
export function nodeModuleCommand(moduleUrl: string): string[] {
  const loaders: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '--import' || a === '--loader' || a === '--require') && argv[i + 1] !== undefined) loaders.push(a, argv[++i]!);
    else if (/^--(import|loader|require)=/.test(a)) loaders.push(a);
  }
  return [process.execPath, ...loaders, fileURLToPath(moduleUrl)];
}

export class ProberClient {
  private child!: ChildProcess;
  private nextId = 1;
  private pending = new Map<number, (a: ProbeAnswer) => void>();
  private closed = false;

  constructor(private readonly nodeNetns: string) {
    this.spawn();
  }

  private spawn(): void {
    const command = nodeModuleCommand(new URL('./prober.' + (import.meta.url.endsWith('.ts') ? 'ts' : 'js'), import.meta.url).href);
    const child = spawn('ip', ['netns', 'exec', this.nodeNetns, ...command], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const answer = JSON.parse(line) as ProbeAnswer;
        this.pending.get(answer.id)?.(answer);
        this.pending.delete(answer.id);
      } catch {
        // Not an answer.
      }
    });
    child.on('exit', () => {
      for (const [id, resolve] of this.pending) resolve({ id, ok: false, detail: 'the prober exited' });
      this.pending.clear();
      // Without the prober every pod would turn unready: start another one.
      if (!this.closed) setTimeout(() => !this.closed && this.spawn(), 200);
    });
  }

  probe(req: Omit<ProbeRequest, 'id'>): Promise<ProbeAnswer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || !this.child.stdin?.writable) return resolve({ id, ok: false, detail: 'the prober is not running' });
      this.pending.set(id, resolve);
      this.child.stdin.write(`${JSON.stringify({ ...req, id })}\n`);
    });
  }

  close(): void {
    this.closed = true;
    this.child.stdin?.end();
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}
