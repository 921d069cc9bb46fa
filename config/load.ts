import { fileURLToPath } from 'node:url';
import type { Config } from './schema.js';
import { configSchema } from './schema.js';
import { absolute, absoluteFileUrl, DEFAULT_CONFIG, readYaml, validate } from './read.js';

export { ConfigError, DEFAULT_CONFIG } from './read.js';

export interface LoadedConfig {
  config: Config;
  /** The file it came from, for messages. */
  file: string;
}

/**
 * Reads, validates and normalizes a config file. Errors name the file, the key path and what is expected.
 * Relative paths (file:// URLs, stateDir, images) are resolved against the working directory; `{osimage}` in
 * build.command is osimage's own directory.
 */
export async function loadConfig(file: string = DEFAULT_CONFIG): Promise<LoadedConfig> {
  return { config: normalize(await validate(configSchema, await readYaml(file), file)), file };
}

/** osimage's own directory: `{osimage}` in build.command, so the embedded default runs from any directory. */
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

function normalize(config: Config): Config {
  const paths = (images: Config['images']) =>
    Object.fromEntries(Object.entries(images).map(([csp, path]) => [csp, absolute(path)])) as Config['images'];
  return {
    ...config,
    store: { ...config.store, url: absoluteFileUrl(config.store.url) },
    publicBaseUrl: absoluteFileUrl(config.publicBaseUrl),
    stateDir: absolute(config.stateDir),
    images: paths(config.images),
    ...(config.build && {
      build: { ...config.build, command: config.build.command.map((arg) => arg.replaceAll('{osimage}', PACKAGE_DIR)), images: paths(config.build.images) },
    }),
  };
}
