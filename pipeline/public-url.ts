import type { Config } from '../config/schema.js';

/** The URL under which consumers read an object of the store. */
export function publicUrl(config: Pick<Config, 'publicBaseUrl'>, key: string): string {
  return `${config.publicBaseUrl.replace(/\/+$/, '')}/${key}`;
}
