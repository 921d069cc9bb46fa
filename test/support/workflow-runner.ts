import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from './workdir.js';

/**
 * Runs a GitHub Actions workflow's jobs on this machine, as far as osimage is concerned: each job in its own fresh
 * directory (a "checkout"), its `run:` steps that call osimage or our scripts through bash with the env GitHub would
 * give them (expressions evaluated), and the handful of actions the release workflow uses emulated by what they do
 * (artifacts copied between jobs, credentials exported to later steps). Everything else — installing, building the
 * image — the test provides. An expression, action or context this runner does not know fails loudly, so that a
 * workflow edit never passes unnoticed.
 */

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string | boolean>;
}

interface Job {
  needs?: string | string[];
  env?: Record<string, string>;
  outputs?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps: Step[];
}

interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

export interface LocalRun {
  /** Values of the dispatch form. */
  inputs: Record<string, string | boolean>;
  github: Record<string, string>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  /** Matrix legs to run, per job with a matrix: the values of its single matrix key. */
  legs: string[];
  /** Where jobs get their directories and artifacts are kept. */
  root: string;
  /** The repository's config/release.yaml in every checkout. */
  releaseConfig: string;
  /** A directory with an `osimage` executable, put first on PATH (what `npm link` does on the runner). */
  binDir: string;
  /** What each configure-aws-credentials login exports (the store's credentials). */
  awsCredentials: Record<string, string>;
  /** Called in a leg's fresh directory before its steps run, to put the raw image where the workflow expects it. */
  prepareLeg?: (dir: string, env: Record<string, string>) => Promise<void>;
}

export interface StepRecord {
  job: string;
  leg?: string;
  step: string;
  stdout: string;
  stderr: string;
}

export interface RunOutcome {
  jobOutputs: Record<string, Record<string, string>>;
  /** The job directories, by job name (`upload (qemu)` for a leg). */
  dirs: Record<string, string>;
  steps: StepRecord[];
  summary: string;
}

export class StepFailed extends Error {
  constructor(readonly record: StepRecord, exitCode: number) {
    super(`${record.job}${record.leg ? ` (${record.leg})` : ''}: step "${record.step}" exited ${exitCode}\n${record.stderr}`);
  }
}

type Value = string | boolean | unknown[] | Record<string, unknown> | undefined;
type Contexts = Record<string, unknown>;

export async function loadWorkflow(path: string): Promise<Workflow> {
  return parse(await readFile(path, 'utf8')) as Workflow;
}

export async function runWorkflow(workflow: Workflow, local: LocalRun): Promise<RunOutcome> {
  const outcome: RunOutcome = { jobOutputs: {}, dirs: {}, steps: [], summary: '' };
  const artifacts = join(local.root, 'artifacts');
  const summaryFile = join(local.root, 'step-summary.md');
  await mkdir(artifacts, { recursive: true });
  await writeFile(summaryFile, '');

  for (const [jobName, job] of Object.entries(workflow.jobs)) {
    const needs = [job.needs ?? []].flat();
    for (const need of needs) if (!(need in outcome.jobOutputs)) throw new Error(`job ${jobName} needs ${need}, which has not run`);
    const base: Contexts = {
      inputs: local.inputs,
      github: local.github,
      secrets: local.secrets,
      vars: local.vars,
      needs: Object.fromEntries(needs.map((need) => [need, { outputs: outcome.jobOutputs[need] }])),
    };
    const matrix = job.strategy?.matrix;
    const legs: (string | undefined)[] = matrix ? local.legs : [undefined];
    let matrixKey: string | undefined;
    if (matrix) {
      const keys = Object.keys(matrix);
      if (keys.length !== 1) throw new Error(`job ${jobName}: this runner knows matrices of one key, not ${keys.join(', ')}`);
      matrixKey = keys[0]!;
      const values = evaluate(String(matrix[matrixKey]), base);
      for (const leg of local.legs) {
        if (!Array.isArray(values) || !values.includes(leg)) throw new Error(`job ${jobName}: the matrix ${JSON.stringify(values)} has no leg ${leg}`);
      }
    }

    for (const leg of legs) {
      const label = leg ? `${jobName} (${leg})` : jobName;
      const contexts: Contexts = { ...base, matrix: matrixKey ? { [matrixKey]: leg } : {}, steps: {} };
      const dir = join(local.root, 'jobs', label.replace(/[^a-z0-9-]+/gi, '-'));
      outcome.dirs[label] = dir;
      await mkdir(dir, { recursive: true });
      const env: Record<string, string> = { ...interpolateAll(workflow.env, contexts), ...interpolateAll(job.env, contexts) };
      const exported: Record<string, string> = {};
      if (leg && local.prepareLeg) await local.prepareLeg(dir, env);

      for (const step of job.steps) {
        const stepName = step.name ?? step.uses ?? step.run!.split('\n')[0]!;
        if (step.if !== undefined && !truthy(evaluate(step.if, contexts))) continue;
        const stepEnv = { ...env, ...exported, ...interpolateAll(step.env, contexts) };
        if (step.uses) {
          const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([key, value]) => [key, interpolate(String(value), contexts)]));
          await emulateAction(step.uses, inputs, { dir, artifacts, exported, local });
          continue;
        }
        const script = step.run!;
        // Installing osimage and building the image are the test's part; every other step runs as written.
        if (!/\bosimage\s|dist\/scripts\//.test(script)) continue;
        const outputFile = join(local.root, `output-${outcome.steps.length}`);
        await writeFile(outputFile, '');
        const record: StepRecord = { job: jobName, leg, step: stepName, stdout: '', stderr: '' };
        const exitCode = await bash(script, dir, {
          ...stepEnv,
          PATH: `${local.binDir}:${process.env.PATH}`,
          HOME: process.env.HOME ?? local.root,
          CI: 'true',
          GITHUB_ACTIONS: 'true',
          GITHUB_WORKSPACE: dir,
          GITHUB_OUTPUT: outputFile,
          GITHUB_STEP_SUMMARY: summaryFile,
        }, record);
        outcome.steps.push(record);
        if (exitCode !== 0) throw new StepFailed(record, exitCode);
        if (step.id) (contexts.steps as Contexts)[step.id] = { outputs: parseOutputs(await readFile(outputFile, 'utf8')) };
      }
      if (job.outputs) outcome.jobOutputs[jobName] = interpolateAll(job.outputs, contexts);
    }
    outcome.jobOutputs[jobName] ??= {};
  }
  outcome.summary = await readFile(summaryFile, 'utf8');
  return outcome;
}

interface ActionScope {
  dir: string;
  artifacts: string;
  exported: Record<string, string>;
  local: LocalRun;
}

/** What each action the workflow uses does, as far as the next steps and jobs can tell. */
async function emulateAction(uses: string, inputs: Record<string, string>, scope: ActionScope): Promise<void> {
  const action = uses.split('@')[0]!;
  switch (action) {
    case 'actions/checkout': {
      // The commit the run labels its results with, not the dispatched branch (issue 12).
      const commit = String(scope.local.inputs.commit || scope.local.github.sha);
      if (inputs.ref !== commit) throw new Error(`${uses} must check out ref ${commit} (the commit of the run), not ${inputs.ref ?? 'the branch'}`);
      // The repository: its build (dist/, node_modules/) and its config/release.yaml.
      await symlink(join(REPO, 'dist'), join(scope.dir, 'dist'));
      await symlink(join(REPO, 'node_modules'), join(scope.dir, 'node_modules'));
      await mkdir(join(scope.dir, 'config'), { recursive: true });
      await cp(scope.local.releaseConfig, join(scope.dir, 'config', 'release.yaml'));
      return;
    }
    case 'actions/setup-node':
      return;
    case 'aws-actions/configure-aws-credentials': {
      if (!inputs['role-to-assume'] || !inputs['aws-region']) throw new Error(`${uses} needs role-to-assume and aws-region`);
      Object.assign(scope.exported, scope.local.awsCredentials, { AWS_REGION: inputs['aws-region'] });
      return;
    }
    case 'actions/upload-artifact': {
      const name = required(inputs, 'name', uses);
      const target = join(scope.artifacts, name);
      if ((await readdir(scope.artifacts)).includes(name)) throw new Error(`artifact ${name} was uploaded twice`);
      const source = join(scope.dir, required(inputs, 'path', uses));
      const files = await readdir(source).catch(() => []);
      if (files.length === 0 && inputs['if-no-files-found'] === 'error') throw new Error(`${uses}: no files in ${inputs.path}`);
      await cp(source, target, { recursive: true });
      return;
    }
    case 'actions/download-artifact': {
      const path = join(scope.dir, required(inputs, 'path', uses));
      const pattern = inputs.pattern ? globToRegExp(inputs.pattern) : undefined;
      const names = (await readdir(scope.artifacts)).filter((name) => (pattern ? pattern.test(name) : name === inputs.name));
      if (names.length === 0) throw new Error(`${uses}: no artifact matches ${inputs.pattern ?? inputs.name}`);
      for (const name of names) {
        const into = inputs['merge-multiple'] === 'true' || !pattern ? path : join(path, name);
        await cp(join(scope.artifacts, name), into, { recursive: true });
      }
      return;
    }
    default:
      throw new Error(`the workflow runner does not know the action ${uses}; teach test/support/workflow-runner.ts what it does`);
  }
}

function required(inputs: Record<string, string>, key: string, uses: string): string {
  const value = inputs[key];
  if (!value) throw new Error(`${uses} needs ${key}`);
  return value;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function bash(script: string, cwd: string, env: Record<string, string>, record: StepRecord): Promise<number> {
  return new Promise((resolve) => {
    // The shell GitHub runs a `run:` step with: bash --noprofile --norc -eo pipefail {0}.
    execFile('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      record.stdout = stdout;
      record.stderr = stderr;
      resolve(error ? Number(error.code ?? 1) : 0);
    });
  });
}

function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const at = line.indexOf('=');
    if (at < 1) throw new Error(`a GITHUB_OUTPUT line this runner does not read: ${line}`);
    outputs[line.slice(0, at)] = line.slice(at + 1);
  }
  return outputs;
}

function interpolateAll(values: Record<string, string> | undefined, contexts: Contexts): Record<string, string> {
  return Object.fromEntries(Object.entries(values ?? {}).map(([key, value]) => [key, interpolate(String(value), contexts)]));
}

function interpolate(text: string, contexts: Contexts): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expression: string) => asString(evaluate(expression, contexts)));
}

function asString(value: Value): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function truthy(value: Value): boolean {
  return value !== undefined && value !== '' && value !== false;
}

/**
 * The small part of GitHub's expression language the workflow uses: context paths, string literals, `==`, `!=`,
 * `||`, `!` and fromJSON(). Anything else throws.
 */
export function evaluate(expression: string, contexts: Contexts): Value {
  const text = expression.trim().replace(/^\$\{\{(.*)\}\}$/s, '$1').trim();
  const alternatives = splitTop(text, '||');
  if (alternatives.length > 1) {
    for (const alternative of alternatives) {
      const value = evaluate(alternative, contexts);
      if (truthy(value)) return value;
    }
    return evaluate(alternatives.at(-1)!, contexts);
  }
  for (const operator of ['==', '!='] as const) {
    const sides = splitTop(text, operator);
    if (sides.length === 2) {
      const equal = asString(evaluate(sides[0]!, contexts)) === asString(evaluate(sides[1]!, contexts));
      return operator === '==' ? equal : !equal;
    }
  }
  if (text.startsWith('!')) return !truthy(evaluate(text.slice(1), contexts));
  const literal = /^'((?:[^']|'')*)'$/.exec(text);
  if (literal) return literal[1]!.replaceAll("''", "'");
  if (text === 'true' || text === 'false') return text === 'true';
  const call = /^fromJSON\((.*)\)$/i.exec(text);
  if (call) return JSON.parse(asString(evaluate(call[1]!, contexts))) as Value;
  if (!/^[a-z_][\w-]*(\.[\w-]+)*$/i.test(text)) throw new Error(`the workflow runner cannot evaluate \${{ ${text} }}`);
  const [root, ...path] = text.split('.');
  if (!(root! in contexts)) throw new Error(`unknown context ${root} in \${{ ${text} }}`);
  let value: unknown = contexts[root!];
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !(key in value)) {
      throw new Error(`\${{ ${text} }}: ${key} is not defined here`);
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value as Value;
}

/** Splits on an operator outside quotes and parentheses. */
function splitTop(text: string, operator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "'") quoted = !quoted;
    else if (!quoted && char === '(') depth++;
    else if (!quoted && char === ')') depth--;
    else if (!quoted && depth === 0 && text.startsWith(operator, i)) {
      parts.push(text.slice(start, i));
      start = i + operator.length;
      i += operator.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}
