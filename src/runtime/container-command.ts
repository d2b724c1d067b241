// How a container's process is started: `ip netns exec` into the pod's namespace,
// setpriv for its user and capabilities, and the environment it sees.
import type { LaunchSpec } from './launch.js';

/**
 * The argv that runs `command` in a pod's namespace as uid/gid. A root container keeps
 * only the capabilities its securityContext grants (the bounding set caps what root gets
 * after exec); another uid has none, as a non-root container without ambient ones.
 */
export function podCommand(netns: string, uid: number, gid: number, command: readonly string[], capabilities: readonly string[] | 'all' = 'all'): string[] {
  const user = uid === 0 && gid === 0 ? [] : [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'];
  const caps = uid === 0 && capabilities !== 'all' ? [`--bounding-set=-all${capabilities.map((c) => `,+${c}`).join('')}`] : [];
  const setpriv = user.length + caps.length > 0 ? ['setpriv', ...user, ...caps, '--'] : [];
  return ['ip', 'netns', 'exec', netns, ...setpriv, ...command];
}

export function containerEnv(spec: LaunchSpec, podName: string): Record<string, string> {
  const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: podName };
  if (spec.uid !== 0) env['HOME'] = '/';
  else env['HOME'] = '/root';
  for (const [k, v] of spec.env) env[k] = v;
  return env;
}
