import type { AwsConfig } from '../../../config/aws.js';
import { InputError } from '../../../pipeline/errors.js';
import { Retrier } from '../../../pipeline/retry.js';
import type { UploadContext } from '../uploader.js';
import { AwsClients } from './clients.js';
import { amiName, resourceTags } from './names.js';

/** What every part of the AWS step shares for one run: the context, the aws config, the clients and the names. */
export interface AwsStep {
  readonly ctx: UploadContext;
  readonly config: AwsConfig;
  readonly clients: AwsClients;
  /** The AMI's name in every region. */
  readonly name: string;
  /** Tags of the snapshot and of every AMI. */
  readonly tags: { Key: string; Value: string }[];
}

export function openAwsStep(ctx: UploadContext): AwsStep {
  const config = ctx.config.aws;
  if (!config) {
    throw new InputError(
      'aws is a target of this run but the config has no aws section',
      'add an aws: section (import region and bucket, regions) to the config, or leave aws out of --csp',
    );
  }
  const name = amiName(config, ctx.uid);
  return {
    ctx,
    config,
    clients: new AwsClients(config, new Retrier('aws', config.retry, ctx.log, ctx.retries)),
    name,
    tags: resourceTags(name, { uid: ctx.uid, version: ctx.version.text, commit: ctx.commit }),
  };
}

/** Options for every SDK call, so Ctrl-C stops requests in flight. */
export function callOptions(step: AwsStep): { abortSignal: AbortSignal } {
  return { abortSignal: step.ctx.signal };
}
