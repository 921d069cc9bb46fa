import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeXml } from '../ec2/query.js';

/**
 * A fake of the account-wide AWS services the preflight reads, on one port: IAM's GetRole over the Query protocol
 * (form-encoded POST, Version=2010-05-08, PascalCase XML, errors as `<ErrorResponse><Error><Code>`), and Service
 * Quotas' GetServiceQuota and GetAWSDefaultServiceQuota over JSON 1.1 (`X-Amz-Target: ServiceQuotasV20190624.*`,
 * errors as `{"__type": …}`), the region taken from the SigV4 credential scope.
 */

const ACCOUNT = '123456789012';
const IAM_VERSION = '2010-05-08';
const PUBLIC_AMIS = 'L-0E3CBAB9';
/** AWS's default of the public-AMI quota per region. */
const DEFAULT_PUBLIC_AMIS = 5;

export interface FakeAwsAccountOptions {
  /** IAM roles the account has; default just vmimport. */
  roles?: string[];
  /** Applied public-AMI quotas by region; a region without one answers NoSuchResourceException, as AWS does. */
  publicAmiQuota?: Record<string, number>;
}

export class FakeAwsAccount {
  endpoint = '';
  readonly requests: { service: 'iam' | 'servicequotas'; action: string; region: string }[] = [];
  /** A test may change what the account has between runs. */
  readonly roles: Set<string>;
  readonly publicAmiQuota: Record<string, number>;
  private readonly server: Server;

  private constructor(options: FakeAwsAccountOptions) {
    this.roles = new Set(options.roles ?? ['vmimport']);
    this.publicAmiQuota = { ...options.publicAmiQuota };
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, type, body }) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      });
    });
  }

  static async start(options: FakeAwsAccountOptions = {}): Promise<FakeAwsAccount> {
    const fake = new FakeAwsAccount(options);
    await new Promise<void>((done) => fake.server.listen(0, '127.0.0.1', done));
    fake.endpoint = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; type: string; body: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const scope = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/([a-z]+)\/aws4_request/.exec(req.headers.authorization ?? '');
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') return this.serviceQuotas(target, body, scope?.[1]);
    return this.iam(new URLSearchParams(body), Boolean(scope));
  }

  private iam(params: URLSearchParams, signed: boolean): { status: number; type: string; body: string } {
    const action = params.get('Action') ?? '';
    this.requests.push({ service: 'iam', action, region: 'us-east-1' });
    const xml = 'text/xml';
    const error = (status: number, code: string, message: string) => ({
      status,
      type: xml,
      body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/${IAM_VERSION}/"><Error><Type>Sender</Type><Code>${code}</Code>` +
        `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    });
    if (!signed) return error(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (params.get('Version') !== IAM_VERSION) return error(400, 'InvalidParameterValue', `unsupported Version ${params.get('Version')}`);
    if (action !== 'GetRole') return error(400, 'InvalidAction', `this fake knows GetRole only, not ${action}`);
    const name = params.get('RoleName') ?? '';
    if (!this.roles.has(name)) return error(404, 'NoSuchEntity', `The role with name ${name} cannot be found.`);
    return {
      status: 200,
      type: xml,
      body: `<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/${IAM_VERSION}/"><GetRoleResult><Role>` +
        `<Path>/</Path><RoleName>${escapeXml(name)}</RoleName><RoleId>AROA${randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase()}</RoleId>` +
        `<Arn>arn:aws:iam::${ACCOUNT}:role/${escapeXml(name)}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate>` +
        `</Role></GetRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetRoleResponse>`,
    };
  }

  private serviceQuotas(target: string, body: string, region: string | undefined): { status: number; type: string; body: string } {
    const action = target.replace(/^ServiceQuotasV20190624\./, '');
    this.requests.push({ service: 'servicequotas', action, region: region ?? '' });
    const json = 'application/x-amz-json-1.1';
    const error = (code: string, message: string) => ({ status: 400, type: json, body: JSON.stringify({ __type: code, message }) });
    if (!region) return error('UnrecognizedClientException', 'The security token included in the request is invalid.');
    const { ServiceCode, QuotaCode } = JSON.parse(body || '{}') as { ServiceCode?: string; QuotaCode?: string };
    if (ServiceCode !== 'ec2' || QuotaCode !== PUBLIC_AMIS) return error('NoSuchResourceException', `this fake knows ec2/${PUBLIC_AMIS} only`);
    const quota = (value: number) => ({
      status: 200,
      type: json,
      body: JSON.stringify({
        Quota: {
          ServiceCode: 'ec2',
          ServiceName: 'Amazon Elastic Compute Cloud (Amazon EC2)',
          QuotaArn: `arn:aws:servicequotas:${region}:${ACCOUNT}:ec2/${PUBLIC_AMIS}`,
          QuotaCode: PUBLIC_AMIS,
          QuotaName: 'Public AMIs',
          Value: value,
          Unit: 'None',
          Adjustable: true,
          GlobalQuota: false,
        },
      }),
    });
    if (action === 'GetAWSDefaultServiceQuota') return quota(DEFAULT_PUBLIC_AMIS);
    if (action !== 'GetServiceQuota') return error('InvalidAction', `this fake knows GetServiceQuota and GetAWSDefaultServiceQuota, not ${action}`);
    const applied = this.publicAmiQuota[region];
    if (applied === undefined) return error('NoSuchResourceException', `The request failed because the specified quota ${PUBLIC_AMIS} has no applied value.`);
    return quota(applied);
  }
}
