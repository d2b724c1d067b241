// `outrigger version`
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { packageRoot } from '../paths.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function versionCommand(): Command {
  return new Command('version')
    .description('Print the version of Outrigger')
    .option('-s, --short', 'print only the version number')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']))
    .action((opts: { short?: boolean; output?: 'json' | 'yaml' }) => {
      const version = packageVersion();
      const info = { clientVersion: { version, nodeVersion: process.version, platform: `${process.platform}/${process.arch}` } };
      if (opts.output === 'json') process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      else if (opts.output === 'yaml') {
        process.stdout.write(`clientVersion:\n  version: ${version}\n  nodeVersion: ${process.version}\n  platform: ${info.clientVersion.platform}\n`);
      } else if (opts.short) process.stdout.write(`${version}\n`);
      else process.stdout.write(`client version: ${version}\n`);
    });
}
