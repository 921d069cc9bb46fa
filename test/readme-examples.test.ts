import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { OSIMAGE } from './support/cli.js';
import { REPO, workdir } from './support/workdir.js';

const run = promisify(execFile);

/** An example needs a cloud, a key or a published release when it names one of these; the rest must run as written. */
const NEEDS_MORE = [/release\.yaml/, /https:\/\//, /cosign\.pub|key\.pem|pub\.pem/, /\$SHA/, /disk\.raw/, /--results/, /--repo /, /measurements\.yaml/, /lookup v2\.2\.0/, /GCP_ACCESS_TOKEN/, /^npm (ci|test)/];

interface Example {
  command: string;
  /** The output the README shows after a `$ ` prompt, if it shows one. */
  output?: string;
}

/** Every command of the README's ```sh blocks, in order: continued lines joined, `$ ` prompts with their output. */
function examplesOf(readme: string): Example[] {
  const examples: Example[] = [];
  for (const block of readme.matchAll(/^( *)```sh\n([^]*?)^\1```/gm)) {
    const lines = block[2]!.split('\n').map((line) => line.slice(block[1]!.length)).join('\n').replace(/\\\n\s*/g, '').split('\n');
    const prompted = lines.some((line) => line.startsWith('$ '));
    for (const line of lines) {
      if (prompted && !line.startsWith('$ ')) {
        const last = examples.at(-1);
        if (last && line) last.output = `${last.output ?? ''}${line}\n`;
        continue;
      }
      const command = (prompted ? line.slice(2) : line).replace(/\s+#(?![^"]*"\)).*$/, '').trim();
      if (command && !command.startsWith('#')) examples.push({ command });
    }
  }
  return examples;
}

test('the README\'s shell examples that need no cloud run as written and print what it shows', { timeout: 180_000 }, async () => {
  const examples = examplesOf(await readFile(join(REPO, 'README.md'), 'utf8')).filter(({ command }) => !NEEDS_MORE.some((pattern) => pattern.test(command)));
  assert.ok(examples.length >= 6, examples.map((example) => example.command).join('\n'));

  // A user's repository: a git checkout with a commit, osimage on PATH (as npm link puts it), npm run sample-image.
  const dir = await workdir();
  await run('git', ['init', '-q', dir]);
  await run('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'release']);
  const bin = join(dir, '.bin');
  await mkdir(bin);
  await writeFile(join(bin, 'osimage'), `#!/bin/sh\nexec "${process.execPath}" "${OSIMAGE}" "$@"\n`);
  await chmod(join(bin, 'osimage'), 0o755);
  const script = examples
    .map(({ command, output }, index) => {
      // npm run sample-image is `tsc && node dist/scripts/make-sample-image.js` in osimage's own checkout.
      const line = command.replace(/^npm run sample-image -- /, `"${process.execPath}" "${join(REPO, 'dist/scripts/make-sample-image.js')}" `);
      const check = output === undefined ? line : `diff <(${line}) - <<'EXPECTED'\n${output}EXPECTED`;
      return `echo "--- example ${index + 1}: ${command.replaceAll('"', '\\"').replaceAll('$', '\\$')}" >&2\n${check}`;
    })
    .join('\n');
  const result = await run('bash', ['-euo', 'pipefail', '-c', script], {
    cwd: dir,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CI: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stderr?: string; stdout?: string; message: string }) => assert.fail(`${error.message}\n${error.stdout ?? ''}\n${(error.stderr ?? '').slice(-4000)}`));
  assert.match(result.stdout, /qemu\.raw/);
});
