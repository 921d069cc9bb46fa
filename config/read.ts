import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { InputError } from '../pipeline/errors.js';

/** The embedded default: a file:// store in the working directory and the qemu target; no cloud account needed. */
export const DEFAULT_CONFIG = fileURLToPath(new URL('../../config/local.yaml', import.meta.url));

export class ConfigError extends InputError {}

/** Reading a config file and checking it against a schema, with errors that name the file, the key path and the fix. */
export async function readYaml(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  // Loaded on first use: commands that read a config without the parser (discovery) never pay for it.
  const { parse } = await import('yaml');
  try {
    return parse(text) ?? {};
  } catch (error) {
    throw new ConfigError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
}

export function validate<S extends z.ZodType>(schema: S, doc: unknown, file: string): z.infer<S> {
  const result = schema.safeParse(doc);
  if (!result.success) throw new ConfigError(`${file} is not a valid osimage config:\n${describeIssues(result.error)}`);
  return result.data;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      if (issue.code === 'unrecognized_keys') {
        return `  - ${path}: unknown key ${issue.keys.map((key) => `"${key}"`).join(', ')}; check the spelling against config/release.example.yaml`;
      }
      return `  - ${path}: ${issue.message}`;
    })
    .join('\n');
}

export /** file://relative/dir is not a valid file URL; we take it as a directory relative to the working directory. */
function absoluteFileUrl(url: string): string {
  return url.startsWith('file://') && !url.startsWith('file:///') ? pathToFileURL(absolute(url.slice('file://'.length))).href : url;
}

export function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}

