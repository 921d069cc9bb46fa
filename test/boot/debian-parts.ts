/**
 * Debian packages for the boot-truth suite, fetched from the machine's own Debian mirror through a private apt
 * sources list (the machine's sources stay untouched) and unpacked with dpkg-deb into a cache directory, so a fresh
 * machine gets everything by itself and a rerun fetches nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The suites the boot suite takes parts from: each systemd-stub version Debian carries lives in one of them. */
export const SUITES = ['bookworm', 'bookworm-backports', 'trixie', 'forky'] as const;
export type Suite = (typeof SUITES)[number];

export const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'osimage');
const APT = join(CACHE, 'apt');
const DEBS = join(CACHE, 'debian');
const LISTS_MAX_AGE_MS = 24 * 3600 * 1000;

/** The Debian archive the machine's own sources name (deb822 or one-line form); deb.debian.org if none does. */
async function machineMirror(): Promise<string> {
  const files = ['/etc/apt/sources.list'];
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const name of await readdir('/etc/apt/sources.list.d')) files.push(join('/etc/apt/sources.list.d', name));
  }
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/im.exec(text);
    if (deb822) return deb822[1]!;
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\s/m.exec(text);
    if (oneLine) return oneLine[1]!;
  }
  return 'http://deb.debian.org/debian';
}

function aptOptions(): string[] {
  return [
    '-o', `Dir::Etc::SourceList=${join(APT, 'sources.list')}`,
    '-o', 'Dir::Etc::SourceParts=/dev/null',
    '-o', `Dir::State::Lists=${join(APT, 'lists')}`,
    '-o', `Dir::Cache=${join(APT, 'cache')}`,
    '-o', 'APT::Sandbox::User=root',
    '-o', 'Debug::NoLocking=true',
  ];
}

let listsReady: Promise<void> | undefined;

/** Writes the private sources list and refreshes its package lists once a day. */
function ensureLists(): Promise<void> {
  listsReady ??= (async () => {
    await mkdir(join(APT, 'lists', 'partial'), { recursive: true });
    await mkdir(join(APT, 'cache', 'archives', 'partial'), { recursive: true });
    const mirror = await machineMirror();
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    const sources = SUITES.map((suite) => `deb [signed-by=${keyring}] ${mirror} ${suite} main\n`).join('');
    const path = join(APT, 'sources.list');
    const previous = await readFile(path, 'utf8').catch(() => '');
    const stamp = join(APT, 'updated');
    const age = await stat(stamp).then((s) => Date.now() - s.mtimeMs, () => Infinity);
    if (previous === sources && age < LISTS_MAX_AGE_MS) return;
    await writeFile(path, sources);
    await aptGet(['update', '-qq'], 'refreshing the package lists of the private sources list');
    await writeFile(stamp, new Date().toISOString());
  })();
  return listsReady;
}

async function aptGet(args: string[], why: string, cwd?: string): Promise<string> {
  try {
    const { stdout } = await run('apt-get', [...aptOptions(), ...args], { cwd, maxBuffer: 16 << 20 });
    return stdout;
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || String(error);
    throw new Error(`boot suite: apt-get failed ${why}: ${detail}`);
  }
}

async function aptCache(args: string[]): Promise<string> {
  const { stdout } = await run('apt-cache', [...aptOptions(), ...args], { maxBuffer: 16 << 20 });
  return stdout;
}

/** The version of `name` that `suite` carries, or undefined when that suite has no such package. */
export async function suiteVersion(name: string, suite: Suite): Promise<string | undefined> {
  await ensureLists();
  const table = await aptCache(['madison', name]);
  for (const line of table.split('\n')) {
    const [pkg, version, source] = line.split('|').map((field) => field.trim());
    if (pkg === name && source?.split(/\s+/).some((word) => word === `${suite}/main`)) return version;
  }
  return undefined;
}

/**
 * Fetches `name` as `suite` carries it and unpacks it; returns the directory holding its files (as installed under
 * /). Fails, saying which package and suite, when the mirror does not carry it or the download fails.
 */
export async function debianPackage(name: string, suite: Suite): Promise<string> {
  const version = await suiteVersion(name, suite);
  if (!version) throw new Error(`boot suite: Debian's ${suite} suite has no package ${name} on this mirror`);
  const dir = join(DEBS, `${name}_${version}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const download = join(DEBS, 'downloads');
  await mkdir(download, { recursive: true });
  await aptGet(['download', '-qq', `${name}=${version}`], `downloading ${name} ${version} from ${suite}`, download);
  const deb = (await readdir(download)).find((file) => file.startsWith(`${name}_`) && file.endsWith('.deb'));
  if (!deb) throw new Error(`boot suite: apt-get download left no .deb for ${name} ${version}`);
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await run('dpkg-deb', ['-x', join(download, deb), partial]);
  await rm(join(download, deb));
  await writeFile(join(partial, '.complete'), `${name} ${version} from ${suite}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return dir;
}

/** The package a metapackage (linux-image-amd64) depends on in `suite`: the kernel of that suite's ABI. */
export async function metapackageTarget(name: string, suite: Suite): Promise<string> {
  const version = await suiteVersion(name, suite);
  if (!version) throw new Error(`boot suite: Debian's ${suite} suite has no package ${name} on this mirror`);
  const shown = await aptCache(['show', `${name}=${version}`]);
  const depends = /^Depends:\s*([^\s,(]+)/m.exec(shown)?.[1];
  if (!depends) throw new Error(`boot suite: ${name} ${version} names no dependency`);
  return depends;
}

export interface SystemdBootParts {
  /** The major.minor version of the package, e.g. "257.13-1~deb13u1". */
  version: string;
  stub: string;
  systemdBoot: string;
}

/** systemd-stub and systemd-boot from `suite`'s systemd-boot-efi. */
export async function systemdBootEfi(suite: Suite): Promise<SystemdBootParts> {
  const dir = await debianPackage('systemd-boot-efi', suite);
  const efi = join(dir, 'usr/lib/systemd/boot/efi');
  return {
    version: (await readFile(join(dir, '.complete'), 'utf8')).split(' ')[1]!,
    stub: join(efi, 'linuxx64.efi.stub'),
    systemdBoot: join(efi, 'systemd-bootx64.efi'),
  };
}

/** `suite`'s ukify script (it runs with the machine's python3 and python3-pefile). */
export async function ukify(suite: Suite): Promise<string> {
  return join(await debianPackage('systemd-ukify', suite), 'usr/lib/systemd/ukify');
}

/** The vmlinuz of the kernel `suite`'s linux-image-amd64 points at. */
export async function kernel(suite: Suite): Promise<string> {
  const dir = await debianPackage(await metapackageTarget('linux-image-amd64', suite), suite);
  const vmlinuz = (await readdir(join(dir, 'boot'))).find((file) => file.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new Error(`boot suite: the ${suite} kernel package has no /boot/vmlinuz-*`);
  return join(dir, 'boot', vmlinuz);
}
