import { createDefaultHttpClient, createPipelineRequest } from '@azure/core-rest-pipeline';
import { didYouMean } from '../../../pipeline/did-you-mean.js';
import { Checklist } from '../checklist.js';
import type { Check, PreflightContext } from '../uploader.js';
import { getIfExists, type AzureRun } from './arm.js';
import { explainAzureError } from './explain.js';
import { definitionSecurityType } from './gallery.js';

/** The Subscriptions API version that lists a subscription's locations. */
const LOCATIONS_API = '2022-12-01';

/**
 * Everything the Azure step needs that can be read before the first write: a working login, the resource group,
 * the gallery (or that it will be made), each image definition with the right security type (or that it will be
 * made), and every target region a location of the subscription.
 */
export async function preflightAzure(run: AzureRun<PreflightContext>): Promise<Check[]> {
  const { config, compute } = run;
  const list = new Checklist(explainAzureError, run.ctx.signal);
  // Listing the galleries of the resource group checks the login, the subscription and the group at once.
  const group = `the Azure login can read resource group ${config.resourceGroup} in subscription ${config.subscriptionId}`;
  const readable = await list.read(group, async () => {
    for await (const _ of compute.galleries.listByResourceGroup(config.resourceGroup)) break;
  });
  if (!readable) return list.checks;
  list.pass(group);

  const gallery = await list.read(`gallery ${config.gallery} can be read`, () => getIfExists(() => compute.galleries.get(config.resourceGroup, config.gallery)));
  if (gallery) list.pass(gallery.value ? `gallery ${config.gallery} exists` : `gallery ${config.gallery} is missing and will be created in ${config.location}`);

  for (const type of config.securityTypes) {
    const definition = config.imageDefinitions[type]!;
    const wanted = definitionSecurityType[type];
    const what = `image definition ${definition.name} has security type ${wanted}`;
    if (!gallery?.value) continue;
    const found = await list.read(what, () => getIfExists(() => compute.galleryImages.get(config.resourceGroup, config.gallery, definition.name)));
    if (!found) continue;
    const security = found.value?.features?.find((feature) => feature.name === 'SecurityType')?.value;
    if (!found.value) list.pass(`image definition ${definition.name} is missing and will be created (${wanted})`);
    else if (security === wanted) list.pass(what);
    else {
      list.fail(
        what,
        `it exists with security type ${security ?? 'none'}, and a definition's security type cannot change`,
        `name another definition in azure.imageDefinitions.${type}.name, or delete ${definition.name} if nothing uses it`,
      );
    }
  }

  const regions = [config.location, ...(config.targetRegions ?? []).map((region) => region.name)];
  const locations = await list.read(`the target regions are locations of the subscription`, () => subscriptionLocations(run));
  if (locations) {
    const known = new Set(locations.value.map(normalize));
    const unknown = [...new Set(regions)].filter((region) => !known.has(normalize(region)));
    if (unknown.length === 0) list.pass(`the gallery location and target regions are locations of the subscription: ${[...new Set(regions)].join(', ')}`);
    for (const region of unknown) {
      const guess = didYouMean(region, locations.value);
      list.fail(
        `region ${region} is a location of the subscription`,
        `the subscription has no location ${region}`,
        `fix azure.location or azure.targetRegions${guess ? `: did you mean ${guess}?` : ' (az account list-locations -o table)'}`,
      );
    }
  }
  return list.checks;
}

/** Location names ARM accepts are case- and space-insensitive ("West Europe" is westeurope). */
function normalize(name: string): string {
  return name.replace(/\s+/g, '').toLowerCase();
}

async function subscriptionLocations(run: AzureRun<PreflightContext>): Promise<string[]> {
  const base = (run.config.endpoints.arm ?? 'https://management.azure.com').replace(/\/+$/, '');
  const url = `${base}/subscriptions/${run.config.subscriptionId}/locations?api-version=${LOCATIONS_API}`;
  // Through the client's pipeline, so the request carries its credential and retry policy.
  const request = createPipelineRequest({ url, method: 'GET', abortSignal: run.ctx.signal });
  const response = await run.compute.pipeline.sendRequest(createDefaultHttpClient(), request);
  if (response.status !== 200) {
    const error = JSON.parse(response.bodyAsText ?? '{}') as { error?: { code?: string; message?: string } };
    throw Object.assign(new Error(error.error?.message ?? `HTTP ${response.status}`), { statusCode: response.status, code: error.error?.code });
  }
  return (JSON.parse(response.bodyAsText ?? '{}') as { value?: { name: string }[] }).value?.map((location) => location.name) ?? [];
}
