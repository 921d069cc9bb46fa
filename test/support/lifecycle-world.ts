import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Store } from '../../pipeline/store/s3-store.js';
import { join } from 'node:path';
import { writeSampleImage } from '../../scripts/make-sample-image.js';
import { FakeEc2 } from '../fakes/ec2/server.js';
import { FakeGce } from '../fakes/gce/server.js';
import { FakeGcs } from '../fakes/gcs/server.js';
import { osimage, type CliResult } from './cli.js';
import { startMotoServer } from './moto.js';
import type { S3Server } from './s3rver.js';
import { workdir, writeConfig } from './workdir.js';

export const COMMIT = 'cc0de5c68d41f31dd0b284d574f137e0b0ad106b';
export const OTHER_COMMIT = 'dd0de5c68d41f31dd0b284d574f137e0b0ad106b';
const GCP_TOKEN = 'ya29.lifecycle-test-token';
export const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1'];

/**
 * The clouds of the lifecycle tests: moto for the release bucket (it enforces the conditional writes of
 * versions.json) and the import bucket, the EC2 fake, the GCS and GCE fakes, and a config publishing to all of them
 * and qemu, with the journal in the store as CI keeps it.
 */
export class LifecycleWorld {
  private constructor(
    readonly s3: S3Server,
    readonly ec2: FakeEc2,
    readonly gcs: FakeGcs,
    readonly gce: FakeGce,
    readonly dir: string,
    readonly config: string,
    /** The release bucket as the test reads it. */
    readonly store: S3Store,
    /** The CDN in front of the bucket: what consumers' lookups read. */
    private readonly cdn: Server,
  ) {}

  static async start(): Promise<LifecycleWorld> {
    const s3 = await startMotoServer(['releases', 'import-bucket']);
    const ec2 = await FakeEc2.start({ s3: { endpoint: s3.endpoint, credentials: s3.credentials }, importPolls: 1, imagePolls: 1 });
    const gcs = new FakeGcs(GCP_TOKEN, ['osimage-import']);
    await gcs.start();
    const gce = new FakeGce({ token: GCP_TOKEN, projects: ['osimage-test'], storageBaseUrl: gcs.baseUrl });
    await gce.start();
    const dir = await workdir();
    await mkdir(join(dir, 'images'));
    await writeSampleImage(join(dir, 'images', 'os.raw'), { sizeMiB: 20 });
    const config = await writeConfig(dir, configText(s3, ec2, gcs, gce, REGIONS));
    process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
    const store = new S3Store({ bucket: 'releases', prefix: 'published', endpoint: s3.endpoint, forcePathStyle: true, checksums: false });
    const cdn = createServer((request, response) => {
      void store.get(decodeURIComponent(new URL(request.url!, 'http://cdn').pathname.slice(1))).then((object) => {
        response.writeHead(object ? 200 : 404, { 'content-type': 'application/json' });
        response.end(object?.body ?? '');
      });
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
    return new LifecycleWorld(s3, ec2, gcs, gce, dir, config, store, cdn);
  }

  /** Another config of the same world whose aws section lists these regions, e.g. one more to replicate to. */
  async configWithRegions(regions: string[], name: string): Promise<string> {
    return writeConfig(this.dir, configText(this.s3, this.ec2, this.gcs, this.gce, regions), name);
  }

  /** Runs osimage in the world's directory with its credentials. */
  cli(args: string[]): Promise<CliResult> {
    return osimage(args, {
      cwd: this.dir,
      env: { AWS_ACCESS_KEY_ID: this.s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: this.s3.credentials.secretAccessKey, OSIMAGE_GCP_TOKEN: GCP_TOKEN },
    });
  }

  /** Publishes a uid to every cloud of the config; returns the uid. */
  async publish(version: string, commit = COMMIT): Promise<string> {
    const result = await this.cli(['run', '--config', this.config, '--version', version, '--commit', commit]);
    if (result.exitCode !== 0) throw new Error(`publishing ${version} failed: ${result.stderr}`);
    return version.includes('-pre-') ? `${version}-${commit}` : version;
  }

  lookup(uid: string, csp: string, ...rest: string[]): Promise<CliResult> {
    return this.cli(['lookup', uid, '--csp', csp, ...rest, '--no-cache', '--base-url', `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`]);
  }

  /** What the clouds hold, as sorted lists of ids: AMIs and snapshots per region, GCE images. */
  inventory(): { amis: string[]; snapshots: string[]; gceImages: string[] } {
    return {
      amis: this.ec2.images.map((image) => `${image.region}/${image.imageId}`).sort(),
      snapshots: this.ec2.snapshots.map((snapshot) => `${snapshot.region}/${snapshot.snapshotId}`).sort(),
      gceImages: this.gce.imageNames('osimage-test').sort(),
    };
  }

  async stop(): Promise<void> {
    this.cdn.closeAllConnections();
    await Promise.all([this.ec2.close(), this.gce.stop(), this.gcs.stop(), new Promise((resolve) => this.cdn.close(resolve))]);
    await this.s3.close();
  }
}

function configText(s3: S3Server, ec2: FakeEc2, gcs: FakeGcs, gce: FakeGce, regions: string[]): string {
  return `
store: { url: s3://releases/published, endpoint: ${s3.endpoint}, forcePathStyle: true, checksums: false }
publicBaseUrl: https://cdn.example.com
stateDir: .osimage/state
journal: store
images: { aws: images/os.raw, gcp: images/os.raw, qemu: images/os.raw }
signing: { development: true }
qemu: {}
aws:
  import: { region: us-east-1, bucket: import-bucket, s3Endpoint: ${s3.endpoint}, forcePathStyle: true, checksums: false }
  regions: [${regions.map((region) => `{ name: ${region}, ec2Endpoint: ${ec2.endpoint} }`).join(', ')}]
  public: true
  timeouts: { pollSeconds: 0.01, importMinutes: 1, availableMinutes: 1 }
gcp:
  project: osimage-test
  bucket: osimage-import
  endpoints: { storage: ${gcs.baseUrl}, compute: ${gce.baseUrl} }
  accessToken: env:OSIMAGE_GCP_TOKEN
`;
}
