import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../pipeline/errors.js';

/** The embedded default: a file:// store in the working directory and the qemu target; no cloud account needed. */
export const DEFAULT_CONFIG = fileURLToPath(new URL('../../config/local.yaml', import.meta.url));

export class ConfigError extends InputError {}

/** A config file as read: its parsed value, and its text for errors that name a line. */
export interface YamlFile {
  value: unknown;
  text: string;
}

/** Reading a config file and checking it against a schema, with errors that name the file, the key path and the fix. */
export async function readYaml(file: string): Promise<YamlFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  try {
    return { value: parse(text) ?? {}, text };
  } catch (error) {
    throw new ConfigError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
}

export async function validate<S extends z.ZodType>(schema: S, yaml: YamlFile, file: string): Promise<z.infer<S>> {
  const result = schema.safeParse(yaml.value);
  if (!result.success) throw new ConfigError(`${file} is not a valid osimage config:\n${await describeIssues(result.error, schema, yaml.text, file)}`);
  return result.data;
}

async function describeIssues(error: z.ZodError, schema: z.ZodType, text: string, file: string): Promise<string> {
  const lines: string[] = [];
  for (const issue of error.issues) {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    if (issue.code !== 'unrecognized_keys') {
      lines.push(`  - ${path}: ${issue.message}`);
      continue;
    }
    // Loaded only for this error, so that reading a valid config (on the lookup path too) costs nothing more.
    const { hintForKey } = await import('./key-hints.js');
    for (const key of issue.keys) {
      const { line, meant } = hintForKey(schema, text, issue.path, key);
      const where = line === undefined ? '' : ` (${file}:${line})`;
      lines.push(`  - ${path}: unknown key "${key}"${where}; ${meant ? `did you mean "${meant}"?` : 'check the spelling against config/release.example.yaml'}`);
    }
  }
  return lines.join('\n');
}

export /** file://relative/dir is not a valid file URL; we take it as a directory relative to the working directory. */
function absoluteFileUrl(url: string): string {
  return url.startsWith('file://') && !url.startsWith('file:///') ? pathToFileURL(absolute(url.slice('file://'.length))).href : url;
}

export function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}

