import { readFile } from 'node:fs/promises';
import { absoluteFileUrl, ConfigError, DEFAULT_CONFIG, readYaml } from './read.js';
import { topLevelScalars } from './top-level-scalars.js';

/**
 * The part of a config that `lookup`, `measurements` and `versions` read: where consumers read the store from
 * (`publicBaseUrl`) and the RFC's user-managed repository (`repository`). A consumer's config may hold only these
 * keys; the rest of a publisher's config is not theirs to check, and checking it would cost start-up time. This
 * module loads neither the YAML parser nor the schema validator unless the file needs the parser: lookups start
 * within a few milliseconds of Node itself. config/schema.ts checks the same keys with the same rules.
 */
export interface DiscoverySettings {
  publicBaseUrl?: string;
  repository?: string;
}

export const PUBLIC_BASE_URL = /^(https?|file):\/\//;
export const PUBLIC_BASE_URL_MESSAGE = 'expected an https:// (or file://) URL';
export const REPOSITORY_MESSAGE = 'expected a URL such as https://images.example.com/osimage';
const KEYS = ['publicBaseUrl', 'repository'] as const;

/** Only what consumers read, from a publisher's config or a consumer's own; the full schema is never built. */
export async function loadDiscoverySettings(file: string = DEFAULT_CONFIG): Promise<DiscoverySettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const doc = topLevelScalars(text, KEYS) ?? (await parsed(file));
  const problems: string[] = [];
  const { publicBaseUrl, repository } = doc as Record<string, unknown>;
  if (publicBaseUrl !== undefined && (typeof publicBaseUrl !== 'string' || !PUBLIC_BASE_URL.test(publicBaseUrl))) {
    problems.push(`  - publicBaseUrl: ${PUBLIC_BASE_URL_MESSAGE}`);
  }
  if (repository !== undefined && (typeof repository !== 'string' || !URL.canParse(repository))) problems.push(`  - repository: ${REPOSITORY_MESSAGE}`);
  if (problems.length > 0) throw new ConfigError(`${file} is not a valid osimage config:\n${problems.join('\n')}`);
  return {
    ...(typeof publicBaseUrl === 'string' && { publicBaseUrl: absoluteFileUrl(publicBaseUrl) }),
    ...(typeof repository === 'string' && { repository }),
  };
}

/** The whole document, through the YAML parser: for a config that is more than plain top-level lines. */
async function parsed(file: string): Promise<object> {
  const doc = await readYaml(file);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ConfigError(`${file} is not a valid osimage config:\n  - (top level): expected a mapping`);
  return doc;
}
