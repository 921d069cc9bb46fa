import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Command } from 'commander';
import { parseWellFormed, registerSpec } from '../pipeline/cli/command-spec.js';
import { lookupCommand } from '../pipeline/cli/commands/lookup.js';
import { versionsCommand } from '../pipeline/cli/commands/versions.js';

/** What commander hands the action for the same argv: the fast path must hand over exactly that. */
async function viaCommander(spec: typeof lookupCommand, argv: string[]): Promise<unknown[]> {
  let received: unknown[] = [];
  const program = new Command('osimage').exitOverride();
  registerSpec(program, { ...spec, action: async (...args: unknown[]) => void (received = args.slice(0, spec.argument ? 2 : 1)) });
  await program.parseAsync([spec.name, ...argv], { from: 'user' });
  return received.map((value) => (typeof value === 'object' ? { ...(value as object) } : value));
}

it('a well-formed invocation parses to what commander would pass the action', async () => {
  const cases = [
    ['v2.2.0', '--csp', 'aws', '--region', 'eu-west-1'],
    ['v2.2.0', '--csp=azure', '--security-type', 'trustedlaunch', '--no-cache', '--json', '--base-url', 'https://cdn.example.com'],
    ['--csp', 'qemu', 'v2.2.0', '--lookup-dir', 'tables', '--key', 'cosign.pub', '--repository', 'https://repo.example.com'],
  ];
  for (const argv of cases) assert.deepEqual(parseWellFormed(lookupCommand, argv), await viaCommander(lookupCommand, argv), argv.join(' '));
  assert.deepEqual(parseWellFormed(versionsCommand, ['--json']), await viaCommander(versionsCommand, ['--json']));
});

it('anything not certainly well-formed is left to commander', () => {
  const declined = [
    ['v2.2.0', '--csp', 'aws', '--help'],
    ['v2.2.0', '-h'],
    ['v2.2.0', '--csp', 'openstack'],
    ['v2.2.0'],
    ['--csp', 'aws'],
    ['v2.2.0', 'v2.1.0', '--csp', 'aws'],
    ['v2.2.0', '--csp', 'aws', '--bogus'],
    ['v2.2.0', '--csp', 'aws', '--region'],
    ['v2.2.0', '--csp', 'aws', '--region', '--json'],
    ['v2.2.0', '--csp', 'aws', '--json=yes'],
  ];
  for (const argv of declined) assert.equal(parseWellFormed(lookupCommand, argv), undefined, argv.join(' '));
});
