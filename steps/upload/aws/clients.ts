import { EC2Client } from '@aws-sdk/client-ec2';
import type { AwsConfig } from '../../../config/aws.js';
import { awsRetryOptions } from '../../../pipeline/aws-retry.js';
import type { Retrier } from '../../../pipeline/retry.js';
import { S3Store } from '../../../pipeline/store/s3-store.js';

/**
 * The SDK clients of one run: an EC2 client per region and the import bucket's store. Credentials come from the SDK's
 * default chain (environment, profile, GitHub OIDC web identity); endpoints from the config, so a sandbox or a local
 * fake is configured like any region.
 */
export class AwsClients {
  private readonly ec2Clients = new Map<string, EC2Client>();
  readonly importStore: S3Store;

  constructor(
    private readonly config: AwsConfig,
    private readonly retry: Retrier,
  ) {
    const { import: settings } = config;
    this.importStore = new S3Store({
      bucket: settings.bucket,
      region: settings.region,
      endpoint: settings.s3Endpoint,
      forcePathStyle: settings.forcePathStyle,
      checksums: settings.checksums,
      retry,
    });
  }

  ec2(region: string): EC2Client {
    let client = this.ec2Clients.get(region);
    if (!client) {
      client = new EC2Client({
        region,
        endpoint: this.config.regions.find((entry) => entry.name === region)?.ec2Endpoint,
        ...awsRetryOptions(this.retry),
      });
      this.ec2Clients.set(region, client);
    }
    return client;
  }

  destroy(): void {
    for (const client of this.ec2Clients.values()) client.destroy();
    this.importStore.client.destroy();
  }
}
