// Reads the .cpuprofile files that `node --cpu-prof` writes for the Outrigger proxies and
// lists where their time went, by function and by source file, so that the report can name
// the hot spots without opening DevTools.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

function where(url: string): string {
  if (url === '') return '(native)';
  const marker = url.lastIndexOf('/dist/');
  if (marker >= 0) return url.slice(marker + 1);
  if (url.startsWith('node:')) return url;
  return path.basename(url);
}

/** Coarse owner of a sample: whose code the proxy spends its time in. */
function group(functionName: string, url: string): string {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (url.includes('/dist/')) return 'outrigger (dist/)';
  if (url.startsWith('node:_http') || url.startsWith('node:internal/http')) return 'node:http (parser, agent, client, server)';
  if (url.startsWith('node:')) return 'node: streams, net, events, timers';
  if (url === '') return 'native (syscalls such as writev, (program))';
  return 'dependencies';
}

function top(map: Map<string, number>, total: number, n: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, hits]) => `  ${((100 * hits) / total).toFixed(1).padStart(5)} %  ${name}`);
}

export function summarizeProfiles(dir: string, n = 15): string {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const out: string[] = [];
  for (const file of files) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    const byFunction = new Map<string, number>();
    const byFile = new Map<string, number>();
    const byGroup = new Map<string, number>();
    let total = 0;
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (hits === 0) continue;
      total += hits;
      const { functionName, url, lineNumber } = node.callFrame;
      const file = where(url);
      const fn = `${functionName || '(anonymous)'} ${file}${url ? `:${lineNumber + 1}` : ''}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
      byFile.set(file, (byFile.get(file) ?? 0) + hits);
      const g = group(functionName, url);
      byGroup.set(g, (byGroup.get(g) ?? 0) + hits);
    }
    const idle = byFunction.get('(idle) (native)') ?? 0;
    out.push(`${file}: ${total} samples over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, ${((100 * idle) / total).toFixed(0)} % idle`);
    const busy = total - (byGroup.get('idle') ?? 0);
    byGroup.delete('idle');
    out.push(' busy time by owner:', ...top(byGroup, busy, n));
    out.push(' self time by function:', ...top(byFunction, total, n));
    out.push(' self time by file:', ...top(byFile, total, n));
  }
  return out.join('\n');
}
