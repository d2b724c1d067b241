// What a probe or a lifecycle hook does, once: an exec in the pod's namespace with
// the container's user, capabilities and environment; an HTTP GET or TCP connect
// from the node (through the prober); or a sleep. True if it succeeded in time.
import { spawn } from 'node:child_process';
import { containerEnv, podCommand } from './container-command.js';
import type { HookAction, LaunchSpec } from './launch.js';
import type { ProberClient } from './prober-client.js';

export interface ActionTarget {
  netns: string;
  podIP: string;
  podName: string;
  spec: LaunchSpec;
  prober: ProberClient;
  outriggerCommand(): string[];
}

export interface ActionResult {
  ok: boolean;
  /** Why it failed, as kube's Unhealthy events say it: the command's output, the HTTP status, the dial error. */
  detail: string;
}

export async function runAction(a: HookAction, timeoutMs: number, target: ActionTarget): Promise<ActionResult> {
  if (a.kind === 'sleep') {
    await new Promise((r) => setTimeout(r, Math.min(a.seconds * 1000, timeoutMs)));
    return { ok: true, detail: '' };
  }
  if (a.kind === 'exec') {
    const { spec } = target;
    const command = a.outrigger ? [...target.outriggerCommand(), ...a.command] : a.command;
    const argv = podCommand(target.netns, spec.uid, spec.gid, command, spec.capabilities);
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { env: containerEnv(spec, target.podName), stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const keep = (d: Buffer) => (output = (output + d.toString('utf8')).slice(0, 1024));
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('error', (error) => resolve({ ok: false, detail: error.message }));
      child.on('close', (code) => {
        clearTimeout(timer);
        const detail = timedOut ? `command timed out after ${timeoutMs / 1000}s` : output.trim() || `command [${a.command.join(' ')}] exited with ${code}`;
        resolve({ ok: code === 0, detail });
      });
    });
  }
  const answer = await target.prober.probe({
    kind: a.kind,
    host: a.host ?? target.podIP,
    port: a.port,
    timeoutMs,
    ...(a.kind === 'http' ? { path: a.path, scheme: a.scheme, headers: a.headers } : {}),
  });
  return { ok: answer.ok, detail: answer.detail };
}
