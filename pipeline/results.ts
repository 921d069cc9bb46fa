import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CSPS, type Csp } from '../discovery/version.js';
import type { RunContext } from './context.js';
import { InputError } from './errors.js';
import type { Inputs } from './inputs.js';

/**
 * What one CI job hands to the publish job: one csp's image reference and/or its signed measurements, tagged with
 * the uid, the commit and the image digest so that results of different runs, or of different images, are never
 * mixed.
 */
const resultSchema = z.strictObject({
  uid: z.string(),
  commit: z.string(),
  csp: z.enum(CSPS as [Csp, ...Csp[]]),
  digest: z.string().regex(/^[0-9a-f]{64}$/, 'expected the image digest: 64 lower-case hex characters'),
  reference: z.unknown().optional(),
  measurements: z.strictObject({ yaml: z.string(), signature: z.string().optional() }).optional(),
});

export type StageResult = z.infer<typeof resultSchema>;

export async function writeResult(path: string, result: StageResult): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
}

export type LoadedResults = Pick<RunContext, 'references' | 'measurements'> & { csps: Csp[] };

/**
 * Reads every *.json in a results directory, checking that each belongs to this uid and commit, and that all results
 * of one csp are of one image: the reference uploaded is the image measured.
 */
export async function loadResults(dir: string, inputs: Inputs): Promise<LoadedResults> {
  const loaded: LoadedResults = { references: {}, measurements: {}, csps: [] };
  const names = (await readdir(dir).catch(() => {
    throw new InputError(`the results directory ${dir} does not exist`);
  })).filter((name) => name.endsWith('.json'));
  if (names.length === 0) throw new InputError(`no results (*.json) in ${dir}`, 'run osimage upload and osimage measure with --out first');
  const csps = new Set<Csp>();
  const digests: Partial<Record<Csp, { digest: string; path: string }>> = {};
  for (const name of names.sort()) {
    const path = join(dir, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      throw new InputError(`${path} is not JSON`);
    }
    const result = resultSchema.safeParse(parsed);
    if (!result.success) throw new InputError(`${path} is not an osimage result: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    const { uid, commit, csp, digest, reference, measurements } = result.data;
    if (uid !== inputs.uid || commit !== inputs.commit) {
      throw new InputError(`${path} belongs to ${uid} at ${commit}, not to ${inputs.uid} at ${inputs.commit}`, 'publish only the results of one run');
    }
    const other = digests[csp];
    if (other && other.digest !== digest) {
      throw new InputError(
        `${path} is of the ${csp} image ${digest}, but ${other.path} is of the image ${other.digest}; nothing was published`,
        'the image uploaded must be the image measured: upload and measure the same raw file',
      );
    }
    digests[csp] = { digest, path };
    if (reference !== undefined) (loaded.references as Record<string, unknown>)[csp] = reference;
    if (measurements) loaded.measurements[csp] = { ...measurements, digest };
    csps.add(csp);
  }
  return { ...loaded, csps: CSPS.filter((csp) => csps.has(csp)) };
}
