import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../pipeline/errors.js';
import { configSchema, type Config } from './schema.js';

/** The embedded default: a file:// store in the working directory and the qemu target; no cloud account needed. */
export const DEFAULT_CONFIG = fileURLToPath(new URL('../../config/local.yaml', import.meta.url));

export class ConfigError extends InputError {}

export interface LoadedConfig {
  config: Config;
  /** The file it came from, for messages. */
  file: string;
}

/**
 * Reads, validates and normalizes a config file. Errors name the file, the key path and what is expected.
 * Relative paths (file:// URLs, stateDir, images) are resolved against the working directory.
 */
export async function loadConfig(file: string = DEFAULT_CONFIG): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const result = configSchema.safeParse(doc ?? {});
  if (!result.success) throw new ConfigError(`${file} is not a valid osimage config:\n${describeIssues(result.error)}`);
  return { config: normalize(result.data), file };
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

function normalize(config: Config): Config {
  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(path));
  const fileUrl = (url: string) =>
    url.startsWith('file://') && !url.startsWith('file:///') ? pathToFileURL(absolute(url.slice('file://'.length))).href : url;
  const paths = (images: Config['images']) =>
    Object.fromEntries(Object.entries(images).map(([csp, path]) => [csp, absolute(path)])) as Config['images'];
  return {
    ...config,
    store: { ...config.store, url: fileUrl(config.store.url) },
    publicBaseUrl: fileUrl(config.publicBaseUrl),
    stateDir: absolute(config.stateDir),
    images: paths(config.images),
    ...(config.build && { build: { ...config.build, images: paths(config.build.images) } }),
  };
}
