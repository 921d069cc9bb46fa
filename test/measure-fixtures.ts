/**
 * Builds disk images for the measure tests with Debian's tools, independently of osimage's own sample writer:
 * a UKI from systemd-boot-efi's stub with objcopy, a GPT with sgdisk, a FAT file system with mkfs.vfat and files
 * copied in with mtools (which writes long file names). Also the independent cross-check tools (pesign,
 * systemd-measure).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const STUB = '/usr/lib/systemd/boot/efi/linuxx64.efi.stub';
export const SYSTEMD_BOOT = '/usr/lib/systemd/boot/efi/systemd-bootx64.efi';
export const SYSTEMD_MEASURE = '/usr/lib/systemd/systemd-measure';

export async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'osimage-measure-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface UkiParts {
  linux: string;
  osrel: string;
  cmdline: string;
  initrd: string;
}

/** Writes the parts of a UKI into `dir`: systemd-boot's PE as a stand-in kernel (it is a real EFI PE), and the rest. */
export async function writeUkiParts(dir: string, cmdline = 'console=ttyS0 root=/dev/vda2 ro quiet'): Promise<UkiParts> {
  const parts = {
    linux: join(dir, 'vmlinuz'),
    osrel: join(dir, 'os-release'),
    cmdline: join(dir, 'cmdline'),
    initrd: join(dir, 'initrd'),
  };
  await writeFile(parts.linux, await readFile(SYSTEMD_BOOT));
  await writeFile(parts.osrel, 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="osimage test"\n');
  await writeFile(parts.cmdline, cmdline);
  const initrd = Buffer.alloc(20000);
  for (let i = 0; i < initrd.length; i++) initrd[i] = createHash('sha256').update(String(i >> 5)).digest()[i & 31]!;
  await writeFile(parts.initrd, initrd);
  return parts;
}

/** The classic objcopy recipe (as in the systemd-stub man page) around Debian's stub. */
export async function buildUki(dir: string, parts: UkiParts, name = 'uki.efi'): Promise<string> {
  const out = join(dir, name);
  await run('objcopy', [
    '--add-section', `.osrel=${parts.osrel}`, '--change-section-vma', '.osrel=0x20000',
    '--add-section', `.cmdline=${parts.cmdline}`, '--change-section-vma', '.cmdline=0x30000',
    '--add-section', `.linux=${parts.linux}`, '--change-section-vma', '.linux=0x2000000',
    '--add-section', `.initrd=${parts.initrd}`, '--change-section-vma', '.initrd=0x3000000',
    STUB, out,
  ]);
  return out;
}

export interface DiskOptions {
  fat: 12 | 16 | 32;
  espMiB: number;
  /** Path on the ESP → local file. Directories are created with mmd. */
  files: Record<string, string>;
  /** Partition type code of the ESP for sgdisk (ef00 is the ESP). */
  espType?: string;
  /** Leave the ESP unformatted. */
  unformatted?: boolean;
}

/** Fixed GUIDs, volume ID and timestamps make the disk reproducible, so the boot suite's cache (keyed by its hash) hits. */
const DISK_GUID = '6f1c1e3a-8b0f-4d5e-9a51-0b7c2d6e4f10';
const PARTITION_GUIDS = ['0a4e6c1d-2b3f-4a5c-8d7e-9f0a1b2c3d41', '0a4e6c1d-2b3f-4a5c-8d7e-9f0a1b2c3d42'];
const REPRODUCIBLE = { env: { ...process.env, SOURCE_DATE_EPOCH: '1704067200' } };

/** A sparse GPT disk: the ESP at 1 MiB, a 1 MiB root partition after it. */
export async function buildDisk(dir: string, options: DiskOptions, name = 'disk.raw'): Promise<string> {
  const disk = join(dir, name);
  const esp = join(dir, `${name}.esp`);
  const sizeMiB = options.espMiB + 3;
  await run('truncate', ['-s', `${sizeMiB}M`, disk]);
  await run('sgdisk', [
    '-n', `1:2048:+${options.espMiB}M`, '-t', `1:${options.espType ?? 'ef00'}`, '-c', '1:esp',
    '-n', '2:0:+1M', '-t', '2:8304', '-c', '2:root',
    '-U', DISK_GUID, '-u', `1:${PARTITION_GUIDS[0]}`, '-u', `2:${PARTITION_GUIDS[1]}`,
    disk,
  ]);
  if (!options.unformatted) {
    await run('truncate', ['-s', `${options.espMiB}M`, esp]);
    const clusterFlags = options.fat === 32 ? ['-s', '1'] : [];
    await run('mkfs.vfat', ['--invariant', '-i', '0511e5a1', '-F', String(options.fat), ...clusterFlags, '-n', 'ESP', esp]);
    const dirs = new Set<string>();
    for (const path of Object.keys(options.files)) {
      const segments = path.split('/');
      for (let i = 1; i < segments.length; i++) dirs.add(segments.slice(0, i).join('/'));
    }
    for (const d of [...dirs].sort()) await run('mmd', ['-i', esp, `::/${d}`], REPRODUCIBLE);
    for (const [path, local] of Object.entries(options.files)) await run('mcopy', ['-i', esp, local, `::/${path}`], REPRODUCIBLE);
    await run('dd', [`if=${esp}`, `of=${disk}`, 'bs=1M', 'seek=1', 'conv=notrunc,sparse', 'status=none']);
    await rm(esp);
  }
  return disk;
}

/** `pesign -h -d sha256`: the Authenticode digest, computed by an independent implementation. */
export async function pesignDigest(file: string): Promise<string> {
  const { stdout } = await run('pesign', ['-h', '-d', 'sha256', '-i', file]);
  const match = /hash:\s*([0-9a-f]{64})/i.exec(stdout);
  if (!match) throw new Error(`unexpected pesign output: ${stdout}`);
  return match[1]!.toLowerCase();
}

/** systemd-measure's PCR 11 for the UKI parts, with the given boot phase path (":" is none). */
export async function systemdMeasurePcr11(parts: UkiParts, phase = ':'): Promise<string> {
  const { stdout } = await run(SYSTEMD_MEASURE, [
    'calculate', `--linux=${parts.linux}`, `--osrel=${parts.osrel}`, `--cmdline=${parts.cmdline}`, `--initrd=${parts.initrd}`,
    '--bank=sha256', `--phase=${phase}`,
  ]);
  const match = /11:sha256=([0-9a-f]{64})/.exec(stdout);
  if (!match) throw new Error(`unexpected systemd-measure output: ${stdout}`);
  return match[1]!;
}

/** Replays extends the way a TPM does, for expectations built from independent digests. */
export function extendAll(digests: Array<Buffer | string>): string {
  let pcr = Buffer.alloc(32);
  for (const digest of digests) {
    pcr = createHash('sha256').update(pcr).update(typeof digest === 'string' ? Buffer.from(digest, 'hex') : digest).digest();
  }
  return pcr.toString('hex');
}

export const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

/** A Secure Boot-signed copy of a PE (sbsign with a throwaway certificate), so it carries a certificate table. */
export async function signPe(dir: string, input: string, name: string): Promise<string> {
  const key = join(dir, 'db.key');
  const cert = join(dir, 'db.crt');
  await run('openssl', ['req', '-new', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=osimage test db', '-days', '1']);
  const out = join(dir, name);
  await run('sbsign', ['--key', key, '--cert', cert, '--output', out, input]);
  return out;
}
