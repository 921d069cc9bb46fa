import type { Command } from 'commander';
import { registerSpec, type CommandSpec } from '../command-spec.js';
import { OUTPUT_OPTIONS, TABLE_SOURCE_HELP, TABLE_SOURCE_OPTIONS } from './source-options.js';

interface VersionsOptions {
  baseUrl?: string;
  repository?: string;
  config?: string;
  json?: boolean;
  output?: string;
}

export const versionsCommand: CommandSpec = {
  name: 'versions',
  description: 'list the published image version uids: releases, then pseudo versions, newest first',
  options: [{ flags: '--json', description: 'print {"releases": [...], "pseudo": [...]} as published' }, ...OUTPUT_OPTIONS, ...TABLE_SOURCE_OPTIONS],
  helpAfter:
    '\nReads <base>/images/versions.json. Releases are sorted by version, pseudo versions by when they were published.\n' +
    TABLE_SOURCE_HELP +
    '\nExamples:\n' +
    '  $ osimage versions --base-url https://cdn.example.com\n' +
    '  releases:\n' +
    '    v2.2.0\n' +
    '    v2.1.0\n' +
    '  pseudo versions:\n' +
    '    v2.3.0-pre-debug-cc0de5c68d41f31dd0b284d574f137e0b0ad106b\n' +
    '  $ osimage versions --json | jq -r \'.releases[0]\'   # the newest release\n',
  async action(options: VersionsOptions) {
    const [{ resolveBaseUrl }, { listVersions }] = await Promise.all([import('../base-url.js'), import('../../../discovery/versions.js')]);
    const index = await listVersions({ baseUrl: await resolveBaseUrl(options, 'tables') });
    if (options.json || options.output === 'json') {
      process.stdout.write(`${JSON.stringify(index)}\n`);
      return;
    }
    const section = (title: string, uids: string[]): string => `${title}:\n${uids.length > 0 ? uids.map((uid) => `  ${uid}\n`).join('') : '  (none)\n'}`;
    process.stdout.write(section('releases', index.releases) + section('pseudo versions', index.pseudo));
  },
};

export const registerVersions = (program: Command): void => registerSpec(program, versionsCommand);
