import type { protos } from '@google-cloud/compute';
import { readFile } from 'node:fs/promises';
import type { GcpConfig, GcpSecurityType } from '../../../config/gcp.js';
import { ConflictError, InputError } from '../../../pipeline/errors.js';
import type { Logger } from '../../../pipeline/logger.js';
import { httpStatus, type GcpClients } from './clients.js';
import { labelsMatch } from './labels.js';
import { waitForOperation } from './operation.js';

export type GceImage = protos.google.cloud.compute.v1.IImage;

/** The journal's record of the image. */
export interface ImageRecord {
  project: string;
  name: string;
}

const BASE_FEATURES = ['UEFI_COMPATIBLE', 'GVNIC', 'VIRTIO_SCSI_MULTIQUEUE'];
const SECURITY_FEATURES: Record<GcpSecurityType, string> = { 'sev-es': 'SEV_CAPABLE', 'sev-snp': 'SEV_SNP_CAPABLE' };
const PENDING_POLL_MS = 5_000;

export function imageReference(record: ImageRecord): string {
  return `projects/${record.project}/global/images/${record.name}`;
}

export function guestOsFeatures(securityTypes: readonly GcpSecurityType[]): string[] {
  return [...BASE_FEATURES, ...new Set(securityTypes.map((type) => SECURITY_FEATURES[type]))];
}

/** The images.insert body. */
export async function imageResource(config: GcpConfig, name: string, source: string, labels: Record<string, string>): Promise<GceImage> {
  return {
    name,
    ...(config.family ? { family: config.family } : {}),
    architecture: 'X86_64',
    rawDisk: { source },
    guestOsFeatures: guestOsFeatures(config.securityTypes).map((type) => ({ type })),
    labels,
    ...(config.shieldedInstanceInitialState ? { shieldedInstanceInitialState: await initialState(config.shieldedInstanceInitialState) } : {}),
  };
}

/** The image by name, or undefined when GCE has none. */
export async function getImage(clients: GcpClients, project: string, name: string): Promise<GceImage | undefined> {
  try {
    return (await clients.images.get({ project, image: name }))[0];
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Refuses an image of our name that another uid or commit made: it is not ours to reuse or delete. */
export function checkOwnership(image: GceImage, project: string, labels: Record<string, string>): void {
  if (labelsMatch(image.labels, labels)) return;
  throw new ConflictError(
    `the image projects/${project}/global/images/${image.name} exists but was not made by this uid and commit (labels ${JSON.stringify(image.labels ?? {})})`,
    `delete it (gcloud compute images delete ${image.name} --project ${project}) if it is a leftover, or set another gcp.namePrefix`,
  );
}

export interface AdoptOptions {
  project: string;
  name: string;
  labels: Record<string, string>;
  timeoutMs: number;
  log: Logger;
  signal: AbortSignal;
}

/**
 * An image an earlier run made: READY is adopted; PENDING (an import still running) is waited for; FAILED is
 * deleted so that it can be made again. Returns undefined when there is (now) no image.
 */
export async function adoptImage(clients: GcpClients, options: AdoptOptions): Promise<ImageRecord | undefined> {
  const { project, name, log, signal } = options;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const image = await getImage(clients, project, name);
    if (!image) return undefined;
    checkOwnership(image, project, options.labels);
    if (image.status === 'READY') {
      log.info({ image: name }, 'the image exists: reusing it');
      return { project, name };
    }
    if (image.status === 'FAILED') {
      log.warn({ image: name }, 'an earlier import of the image failed: deleting it to import again');
      await deleteImage(clients, project, name, options);
      return undefined;
    }
    if (Date.now() > deadline) throw new ConflictError(`the image ${name} is still ${image.status} after waiting for it`, 'run the same command again later');
    log.info({ image: name, status: image.status }, 'the image is being created by an earlier run: waiting for it');
    await new Promise((resolve) => setTimeout(resolve, PENDING_POLL_MS));
    signal.throwIfAborted();
  }
}

export async function insertImage(clients: GcpClients, project: string, image: GceImage, options: { timeoutMs: number; signal: AbortSignal }): Promise<void> {
  const [operation] = await clients.images.insert({ project, imageResource: image });
  await waitForOperation(clients.operations, operation.latestResponse as Parameters<typeof waitForOperation>[1], { project, ...options });
}

export async function deleteImage(clients: GcpClients, project: string, name: string, options: { timeoutMs: number; signal: AbortSignal }): Promise<void> {
  const [operation] = await clients.images.delete({ project, image: name });
  await waitForOperation(clients.operations, operation.latestResponse as Parameters<typeof waitForOperation>[1], { project, ...options });
}

export function isNotFound(error: unknown): boolean {
  return httpStatus(error) === 404;
}

/** Secure Boot variables from certificate files: DER as is, PEM unwrapped to DER. */
async function initialState(files: NonNullable<GcpConfig['shieldedInstanceInitialState']>) {
  const certificate = async (path: string) => {
    const bytes = await readFile(path).catch((error: NodeJS.ErrnoException) => {
      throw new InputError(`cannot read the certificate ${path} of gcp.shieldedInstanceInitialState: ${error.code ?? error.message}`);
    });
    const text = bytes.toString('latin1');
    const pem = text.match(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/);
    return { content: pem ? pem[1]!.replace(/\s+/g, '') : bytes.toString('base64'), fileType: 'X509' };
  };
  return {
    ...(files.pk ? { pk: await certificate(files.pk) } : {}),
    ...(files.keks ? { keks: await Promise.all(files.keks.map(certificate)) } : {}),
    ...(files.dbs ? { dbs: await Promise.all(files.dbs.map(certificate)) } : {}),
    ...(files.dbxs ? { dbxs: await Promise.all(files.dbxs.map(certificate)) } : {}),
  };
}
