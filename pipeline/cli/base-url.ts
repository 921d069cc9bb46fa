import { InputError } from '../errors.js';

/** The flags every discovery command shares. */
export interface SourceOptions {
  baseUrl?: string;
  repository?: string;
  config?: string;
}

/**
 * Where discovery reads from, first found wins: the flag (--repository or --base-url), the environment
 * (OSIMAGE_REPOSITORY, then OSIMAGE_BASE_URL), the config (`repository`, else `publicBaseUrl`). A user repository
 * holds lookup tables (and their index) for images the user uploaded; measurements describe the image's bytes, so
 * they are read from the publisher (`reads: 'measurements'` skips the repository). The config is read only when
 * needed, and lazily: parsing it costs more start-up time than the whole lookup.
 */
export async function resolveBaseUrl(options: SourceOptions, reads: 'tables' | 'measurements', env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const useRepository = reads === 'tables';
  if (options.repository !== undefined && options.baseUrl !== undefined) {
    throw new InputError('give --repository or --base-url, not both', '--repository names your own repository; --base-url the published store');
  }
  const fromFlag = options.repository ?? options.baseUrl;
  if (fromFlag !== undefined) return fromFlag;
  const fromEnv = (useRepository && env.OSIMAGE_REPOSITORY) || env.OSIMAGE_BASE_URL;
  if (fromEnv) return fromEnv;
  const { loadDiscoverySettings } = await import('../../config/discovery-settings.js');
  const settings = await loadDiscoverySettings(options.config);
  const fromConfig = (useRepository ? settings.repository : undefined) ?? settings.publicBaseUrl;
  if (fromConfig === undefined) {
    throw new InputError(
      `no URL to read ${reads === 'tables' ? 'lookup tables' : 'measurements'} from`,
      `give --base-url, set OSIMAGE_BASE_URL, or put publicBaseUrl${useRepository ? ' or repository' : ''} in the config`,
    );
  }
  return fromConfig;
}
