import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeArm, type FakeArm, type FakeArmOptions } from '../fakes/arm/server.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from './azurite.js';
import { makeTestTls, type TestTls } from './test-ca.js';

export const SUBSCRIPTION = '00000000-0000-4000-8000-000000000001';
export const RESOURCE_GROUP = 'images';
const TOKEN = 'test-token-never-logged';
const CHILD = fileURLToPath(new URL('./upload-child.js', import.meta.url));

export interface StepRun {
  code: number;
  result?: any;
  error?: string;
  /** Retries per scope, as the run summary reports them. */
  retries: Record<string, number>;
  /** This run's JSON log lines. */
  logs: Array<Record<string, any>>;
}

export interface RunInput {
  mode?: 'plan' | 'upload';
  config: Record<string, unknown>;
  version: string;
  commit: string;
  image: string;
  stateDir: string;
}

/** Azurite, a fake ARM over https and a scratch directory: everything an Azure upload test talks to. */
export class AzureWorld {
  private constructor(
    readonly tls: TestTls,
    readonly azurite: Azurite,
    readonly arm: FakeArm,
    readonly dir: string,
  ) {}

  /** `armOptions`: options of the fake ARM server, e.g. the Retry-After it sends when it throttles. */
  static async start(armOptions: Pick<FakeArmOptions, 'retryAfterSeconds'> = {}): Promise<AzureWorld> {
    const [tls, azurite, dir] = await Promise.all([makeTestTls(), startAzurite(), mkdtemp(join(tmpdir(), 'osimage-azure-'))]);
    const arm = await startFakeArm({
      tls,
      token: TOKEN,
      subscription: SUBSCRIPTION,
      resourceGroups: [RESOURCE_GROUP],
      blob: { url: azurite.blobUrl, account: AZURITE_ACCOUNT, key: AZURITE_KEY },
      ...armOptions,
    });
    return new AzureWorld(tls, azurite, arm, dir);
  }

  async stop(): Promise<void> {
    await Promise.all([this.arm.stop(), this.azurite.stop()]);
    await Promise.all([rm(this.dir, { recursive: true, force: true }), rm(this.tls.dir, { recursive: true, force: true })]);
  }

  /** A config pointing at this world; `azure` keys override the defaults. */
  config(azure: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      store: { url: `file://${join(this.dir, 'store')}` },
      publicBaseUrl: 'https://cdn.example.com',
      signing: { development: true },
      azure: {
        subscriptionId: SUBSCRIPTION,
        resourceGroup: RESOURCE_GROUP,
        location: 'westeurope',
        gallery: 'osimage_test',
        imageDefinitions: {
          cvm: { name: 'os-cvm', publisher: 'example', offer: 'os', sku: 'cvm' },
          trustedlaunch: { name: 'os-tl', publisher: 'example', offer: 'os', sku: 'trustedlaunch' },
        },
        pollIntervalSeconds: 0.02,
        upload: { concurrency: 4, maxTries: 2 },
        endpoints: { arm: this.arm.url },
        accessToken: 'env:OSIMAGE_TEST_AZURE_TOKEN',
        ...azure,
      },
    };
  }

  /** What a child process needs to reach this world: the test CA (read only at start-up) and the token. */
  childEnv(): Record<string, string> {
    return { NODE_EXTRA_CA_CERTS: this.tls.caPath, OSIMAGE_TEST_AZURE_TOKEN: TOKEN };
  }

  /**
   * Runs the Azure step once per input, in order, in one child process that trusts the test CA; `stderr` is all of
   * its output for the secret checks.
   */
  async run(...inputs: RunInput[]): Promise<{ runs: StepRun[]; stderr: string }> {
    const env = { ...process.env, ...this.childEnv() };
    const runs = inputs.map((input) => ({ mode: 'upload', csp: 'azure', ...input }));
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, [CHILD, JSON.stringify(runs)], { env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
        if (error) reject(new Error(`the upload child failed: ${error.message}\n${stderr.slice(-3000)}`));
        else resolve({ stdout, stderr });
      });
    });
    const logs = stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, any>);
    const outcomes = JSON.parse(stdout) as Array<Omit<StepRun, 'logs'>>;
    return { runs: outcomes.map((outcome, index) => ({ ...outcome, logs: logs.filter((line) => line.run === index) })), stderr };
  }

  /** The secrets that must never appear in output: the bearer token and any SAS signature. */
  static readonly secretPatterns = [new RegExp(TOKEN), /sig=/, /\bsv=\d{4}-/];
}
