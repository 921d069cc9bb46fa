import { z } from 'zod';
import { absoluteFileUrl, DEFAULT_CONFIG, readYaml, validate } from './read.js';

/** Where consumers read the store from; QEMU image URLs are built from it. */
export const publicBaseUrl = z
  .string()
  .regex(/^(https?|file):\/\//, 'expected an https:// (or file://) URL')
  .describe('the URL consumers read the store from; QEMU image URLs are built from it');

/** The RFC's user-managed repository: lookup tables for images a user uploaded to their own accounts. */
export const repository = z.url().optional().describe('discovery reads lookup tables from this user-managed repository instead of publicBaseUrl');

/**
 * The part of a config that `lookup`, `measurements` and `versions` read. A consumer's config may hold only these
 * keys; the rest of a publisher's config is not theirs to check, and checking it would cost start-up time.
 */
export const discoverySettings = z.object({ publicBaseUrl: publicBaseUrl.optional(), repository });

export type DiscoverySettings = z.infer<typeof discoverySettings>;

/** Only what consumers read, from a publisher's config or a consumer's own; the full schema is never built. */
export async function loadDiscoverySettings(file: string = DEFAULT_CONFIG): Promise<DiscoverySettings> {
  const settings = await validate(discoverySettings, await readYaml(file), file);
  return { ...settings, ...(settings.publicBaseUrl && { publicBaseUrl: absoluteFileUrl(settings.publicBaseUrl) }) };
}
