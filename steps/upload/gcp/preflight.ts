import type { GcpConfig } from '../../../config/gcp.js';
import { Checklist } from '../checklist.js';
import type { Check, PreflightContext } from '../uploader.js';
import { createClients } from './clients.js';
import { explainGcpError } from './explain.js';

/**
 * Everything the GCP step needs that can be read before the first write: credentials (a token from Application
 * Default Credentials or gcp.accessToken), the bucket, and the project's Compute API.
 */
export async function preflightGcp(ctx: PreflightContext, config: GcpConfig): Promise<Check[]> {
  const source = config.accessToken ? 'gcp.accessToken' : 'Application Default Credentials';
  const login = new Checklist((error) => explainGcpError(error, 'a role that can read the bucket'), ctx.signal);
  const what = `Google credentials are found (${source})`;
  const clients = await login.read(what, () => createClients(config));
  if (!clients) return login.checks;
  try {
    const token = await login.read(what, () => clients.value.storage.authClient.getAccessToken());
    if (!token) return login.checks;
    login.pass(what);

    const bucket = new Checklist((error) => explainGcpError(error, 'storage.buckets.get on the bucket (roles/storage.admin on it)'), ctx.signal);
    const bucketWhat = `the GCS bucket gs://${config.bucket} exists`;
    const project = new Checklist((error) => explainGcpError(error, 'compute.images.list in the project (roles/compute.storageAdmin)'), ctx.signal);
    const projectWhat = `the Compute API of project ${config.project} answers these credentials`;
    const [exists, listed] = await Promise.all([
      bucket.read(bucketWhat, async () => (await clients.value.storage.bucket(config.bucket).exists())[0]),
      project.read(projectWhat, () => clients.value.images.list({ project: config.project, maxResults: 1 }, { autoPaginate: false })),
    ]);
    if (exists?.value) bucket.pass(bucketWhat);
    else if (exists) bucket.fail(bucketWhat, 'it does not exist, or these credentials cannot see it', `create it (gcloud storage buckets create gs://${config.bucket} --project ${config.project}), or fix gcp.bucket`);
    if (listed) project.pass(projectWhat);
    return [...login.checks, ...bucket.checks, ...project.checks];
  } finally {
    await clients.value.close();
  }
}
