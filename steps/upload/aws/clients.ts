import { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import type { AwsConfig } from '../../../config/aws.js';
import { S3Store } from '../../../pipeline/store/s3-store.js';

/**
 * The SDK clients of one run: an EC2 client per region and the import bucket's store. Credentials come from the SDK's
 * default chain (environment, profile, GitHub OIDC web identity); endpoints from the config, so a sandbox or a local
 * fake is configured like any region.
 */
export class AwsClients {
  private readonly ec2Clients = new Map<string, EC2Client>();
  private readonly quotaClients = new Map<string, ServiceQuotasClient>();
  private iamClient?: IAMClient;
  readonly importStore: S3Store;

  constructor(private readonly config: AwsConfig) {
    const { import: settings } = config;
    this.importStore = new S3Store({
      bucket: settings.bucket,
      region: settings.region,
      endpoint: settings.s3Endpoint,
      forcePathStyle: settings.forcePathStyle,
      checksums: settings.checksums,
    });
  }

  ec2(region: string): EC2Client {
    let client = this.ec2Clients.get(region);
    if (!client) {
      client = new EC2Client({
        region,
        endpoint: this.config.regions.find((entry) => entry.name === region)?.ec2Endpoint,
        // Adaptive mode backs off on RequestLimitExceeded and 5xx and slows the client's own request rate, which is
        // what a burst of describe calls across regions needs.
        retryMode: 'adaptive',
        maxAttempts: this.config.maxAttempts,
      });
      this.ec2Clients.set(region, client);
    }
    return client;
  }

  /** IAM and Service Quotas serve only the preflight, so their SDKs are loaded only for it. */
  async iam(): Promise<IAMClient> {
    const { IAMClient } = await import('@aws-sdk/client-iam');
    this.iamClient ??= new IAMClient({ region: this.config.import.region, endpoint: this.config.import.iamEndpoint, maxAttempts: this.config.maxAttempts });
    return this.iamClient;
  }

  async serviceQuotas(region: string): Promise<ServiceQuotasClient> {
    const { ServiceQuotasClient } = await import('@aws-sdk/client-service-quotas');
    let client = this.quotaClients.get(region);
    if (!client) {
      const endpoint = this.config.regions.find((entry) => entry.name === region)?.serviceQuotasEndpoint;
      client = new ServiceQuotasClient({ region, endpoint, maxAttempts: this.config.maxAttempts });
      this.quotaClients.set(region, client);
    }
    return client;
  }

  destroy(): void {
    for (const client of this.ec2Clients.values()) client.destroy();
    for (const client of this.quotaClients.values()) client.destroy();
    this.iamClient?.destroy();
    this.importStore.client.destroy();
  }
}
