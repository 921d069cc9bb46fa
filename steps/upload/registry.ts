import type { Csp } from '../../discovery/version.js';
import type { Uploader } from './uploader.js';

/**
 * Each cloud's upload step, loaded on demand: a cloud's SDK is imported only when that cloud is built.
 */
const uploaders: Partial<Record<Csp, () => Promise<Uploader<unknown>>>> = {
  qemu: async () => (await import('./qemu.js')).qemuUploader,
  aws: async () => (await import('./aws/index.js')).awsUploader,
  azure: async () => (await import('./azure/index.js')).azureUploader,
  gcp: async () => (await import('./gcp/index.js')).gcpUploader,
};

export async function loadUploader(csp: Csp): Promise<Uploader<unknown>> {
  const load = uploaders[csp];
  if (!load) throw new Error(`osimage has no upload step for ${csp} yet`);
  return load();
}
