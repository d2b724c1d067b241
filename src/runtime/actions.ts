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

export async function runAction(a: HookAction, timeoutMs: number, target: ActionTarget): Promise<boolean> {
  if (a.kind === 'sleep') {
    await new Promise((r) => setTimeout(r, Math.min(a.seconds * 1000, timeoutMs)));
    return true;
  }
  if (a.kind === 'exec') {
    const { spec } = target;
    const command = a.outrigger ? [...target.outriggerCommand(), ...a.command] : a.command;
    const argv = podCommand(target.netns, spec.uid, spec.gid, command, spec.capabilities);
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { env: containerEnv(spec, target.podName), stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', () => resolve(false));
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code === 0);
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
  return answer.ok;
}
