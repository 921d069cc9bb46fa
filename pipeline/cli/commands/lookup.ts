import type { Command } from 'commander';
import type { Csp } from '../../../discovery/version.js';
import { registerSpec, type CommandSpec } from '../command-spec.js';
import { CSP_OPTION, OUTPUT_OPTIONS, TABLE_SOURCE_HELP, TABLE_SOURCE_OPTIONS } from './source-options.js';

interface LookupOptions {
  csp: Csp;
  region?: string;
  securityType?: string;
  baseUrl?: string;
  repository?: string;
  config?: string;
  lookupDir?: string;
  local: boolean;
  key?: string;
  cache: boolean;
  json?: boolean;
  output?: string;
}

export const lookupCommand: CommandSpec = {
  name: 'lookup',
  description: 'print the image reference of a uid for one cloud (an AMI id, an Azure or GCP image id, a QEMU URL)',
  argument: { name: 'uid', description: 'image version uid: v2.2.0, or v2.3.0-pre-debug-<commit>' },
  options: [
    CSP_OPTION,
    { flags: '--region <region>', description: 'aws: the region of the AMI (required)' },
    { flags: '--security-type <type>', description: 'azure: cvm (default) or trustedlaunch; gcp: sev-es or sev-snp, when there are several' },
    { flags: '--lookup-dir <dir>', description: 'read <uid>.json from this directory only (default: a <uid>.json in the working directory wins)' },
    { flags: '--no-local', description: 'ignore a <uid>.json in the working directory: read the published table only' },
    { flags: '--key <pub.pem>', description: 'require <uid>.json.sig and verify it with this ECDSA P-256 public key' },
    { flags: '--no-cache', description: 'do not use or fill the cache of release tables (~/.cache/osimage)' },
    { flags: '--json', description: 'print {uid, csp, region?, securityType?, reference, source, verified, local} instead of the bare reference' },
    ...OUTPUT_OPTIONS,
    ...TABLE_SOURCE_OPTIONS,
  ],
  helpAfter:
    '\nA local <uid>.json in the working directory (or --lookup-dir) wins, and stderr says so; --no-local skips it.\n' +
    'Otherwise <base>/images/<uid>.json is read. With --key every table, a local one too, must carry a valid\n' +
    'signature (fail closed); without it, stderr says the table was not verified.\n' +
    'Release tables are cached on disk ($XDG_CACHE_HOME/osimage or ~/.cache/osimage); pseudo versions never are.\n' +
    TABLE_SOURCE_HELP +
    '\nExit codes: 0 found; 2 no such version, or the table has no entry for the request (the message lists what it\n' +
    'has); 1 the table could not be read or trusted.\n\n' +
    'Examples:\n' +
    '  $ osimage lookup v2.2.0 --csp aws --region eu-west-1 --base-url https://cdn.example.com\n' +
    '  ami-0a1b2c3d4e5f60718\n' +
    '  $ osimage lookup v2.2.0 --csp azure --security-type trustedlaunch --key cosign.pub\n' +
    '  $ osimage lookup v2.3.0-pre-debug-cc0de5c68d41f31dd0b284d574f137e0b0ad106b --csp qemu   # a local run\n' +
    '  file:///home/me/work/.osimage/bucket/raw/v2.3.0-pre-debug-cc0de5c68d41f31dd0b284d574f137e0b0ad106b/qemu.raw\n',
  async action(uid: string, options: LookupOptions) {
    const [{ resolveBaseUrl }, { readPublicKey }, { lookupImage }, { diskCache }] = await Promise.all([
      import('../base-url.js'),
      import('../read-public-key.js'),
      import('../../../discovery/lookup.js'),
      import('../../../discovery/cache.js'),
    ]);
    const result = await lookupImage({
      uid,
      csp: options.csp,
      region: options.region,
      securityType: options.securityType,
      lookupDir: options.lookupDir,
      local: options.local,
      baseUrl: () => resolveBaseUrl(options, 'tables'),
      publicKeyPem: options.key === undefined ? undefined : await readPublicKey(options.key),
      cache: options.cache ? diskCache() : undefined,
    });
    // Where the answer came from is for the person; stdout stays the bare reference.
    if (result.local) process.stderr.write(`osimage: using the local table ${result.source}, which wins over the published one (--no-local skips it)\n`);
    if (!result.verified) process.stderr.write(`osimage: the table ${result.source} was not verified: give --key <pub.pem> to check its signature\n`);
    const json = options.json || options.output === 'json';
    process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${result.reference}\n`);
  },
};

export const registerLookup = (program: Command): void => registerSpec(program, lookupCommand);
