// World-readable copies of what containers of other uids run: the sample apps,
// and the outrigger CLI (the proxy image's entrypoint) with its runtime
// dependencies. Root could read the checkout, but uid 1337 or 1000 may not.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot, stage } from '../stage/index.js';
import type { Stage } from '../stage/index.js';

function filesUnder(relativeDir: string, keep: (file: string) => boolean): string[] {
  const dir = path.join(packageRoot, relativeDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(packageRoot, path.join(d.parentPath, d.name)))
    .filter(keep);
}

/** The package's runtime dependencies and theirs (node_modules is flat, as npm installs it). */
export function dependencyClosure(): string[] {
  const seen = new Set<string>();
  const visit = (manifest: string) => {
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(json.dependencies ?? {})) {
      if (seen.has(dep)) continue;
      const pkg = path.join(packageRoot, 'node_modules', dep, 'package.json');
      if (!existsSync(pkg)) continue;
      seen.add(dep);
      visit(pkg);
    }
  };
  visit(path.join(packageRoot, 'package.json'));
  return [...seen].sort();
}

export function stageSamples(): Stage {
  return stage(filesUnder('samples', () => true), 'outrigger-samples-');
}

export function stageOutrigger(): Stage {
  const runtimeFile = (f: string) => !f.endsWith('.md') && !f.endsWith('.d.ts') && !f.endsWith('.map') && !f.endsWith('.ts');
  return stage(
    [
      'bin/outrigger',
      ...filesUnder('dist', (f) => f.endsWith('.js') || f.endsWith('.json')),
      ...filesUnder('manifests', () => true),
      // Outrigger's own protos (the NDS name table), loaded beside Envoy's.
      ...filesUnder('proto', () => true),
      ...dependencyClosure().flatMap((dep) => filesUnder(`node_modules/${dep}`, (f) => runtimeFile(f) || f.endsWith('.proto'))),
    ],
    'outrigger-bin-',
  );
}
