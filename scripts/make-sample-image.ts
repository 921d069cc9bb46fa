/**
 * Writes a small but realistic raw disk image with no root and no external tools, so the README's local run and the
 * tests need nothing but Node: a protective MBR, a GPT (primary and backup), an EFI system partition formatted FAT16
 * holding EFI/BOOT/BOOTX64.EFI (a valid PE32+ UKI: .osrel, .cmdline, .linux, .initrd and .sdmagic naming a
 * systemd-stub version the measurer knows) and a root partition with some data. The file is sparse and its bytes
 * depend only on the arguments.
 *
 *   node dist/scripts/make-sample-image.js OUT.raw [--size-mib N]
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { crc32 } from '../steps/measure/crc32.js';
import { ESP_TYPE_GUID, LINUX_ROOT_X86_64_TYPE_GUID, guidToBytes } from '../steps/measure/guid.js';

const MiB = 1024 * 1024;
const SECTOR = 512;
export const ESP_SIZE_MIB = 16;
export const DEFAULT_SIZE_MIB = 64;
/** ESP at 1 MiB, at least 1 MiB of root, and the backup GPT in the last MiB. */
export const MIN_SIZE_MIB = ESP_SIZE_MIB + 3;
export const SAMPLE_STUB_VERSION = '252';

// Fixed GUIDs, so the same arguments give the same bytes.
const DISK_GUID = '6F8B6B3A-2F0E-4C43-9A4E-0B5A1D7C3E21';
const ESP_GUID = '0C9A3F6E-8D4B-4E0A-B1C2-3D4E5F607182';
const ROOT_GUID = 'A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D';

// ---------------------------------------------------------------- PE32+

export interface PeSectionInput {
  name: string;
  data: Uint8Array;
  /** Code (executable) rather than initialized data. */
  code?: boolean;
}

const FILE_ALIGNMENT = 0x200;
const SECTION_ALIGNMENT = 0x1000;
const align = (value: number, to: number) => Math.ceil(value / to) * to;

/**
 * A PE32+ EFI application (x86-64) with the given sections, in the given order. The entry point is the first code
 * section; `sampleEntryCode` returns EFI_SUCCESS.
 */
export function buildPe(sections: PeSectionInput[]): Buffer {
  const peOffset = 0x40;
  const optionalOffset = peOffset + 4 + 20;
  const optionalSize = 240;
  const sectionTable = optionalOffset + optionalSize;
  const sizeOfHeaders = align(sectionTable + sections.length * 40, FILE_ALIGNMENT);
  let pointer = sizeOfHeaders;
  let address = SECTION_ALIGNMENT;
  const layout = sections.map((section) => {
    const placed = { ...section, pointer, address, rawSize: align(section.data.length, FILE_ALIGNMENT) };
    pointer += placed.rawSize;
    address += align(Math.max(section.data.length, 1), SECTION_ALIGNMENT);
    return placed;
  });
  const file = Buffer.alloc(pointer);
  file.write('MZ', 0, 'latin1');
  file.writeUInt32LE(peOffset, 0x3c);
  file.write('PE\0\0', peOffset, 'latin1');
  const coff = peOffset + 4;
  file.writeUInt16LE(0x8664, coff); // x86-64
  file.writeUInt16LE(sections.length, coff + 2);
  file.writeUInt16LE(optionalSize, coff + 16);
  file.writeUInt16LE(0x0022, coff + 18); // executable image, large address aware
  const o = optionalOffset;
  const code = layout.find((section) => section.code);
  file.writeUInt16LE(0x20b, o); // PE32+
  file.writeUInt32LE(layout.filter((s) => s.code).reduce((sum, s) => sum + s.rawSize, 0), o + 4);
  file.writeUInt32LE(layout.filter((s) => !s.code).reduce((sum, s) => sum + s.rawSize, 0), o + 8);
  file.writeUInt32LE(code?.address ?? 0, o + 16); // AddressOfEntryPoint
  file.writeUInt32LE(code?.address ?? 0, o + 20); // BaseOfCode
  file.writeBigUInt64LE(0x10000000n, o + 24); // ImageBase
  file.writeUInt32LE(SECTION_ALIGNMENT, o + 32);
  file.writeUInt32LE(FILE_ALIGNMENT, o + 36);
  file.writeUInt32LE(address, o + 56); // SizeOfImage
  file.writeUInt32LE(sizeOfHeaders, o + 60);
  file.writeUInt16LE(10, o + 68); // EFI application
  file.writeBigUInt64LE(0x100000n, o + 72);
  file.writeBigUInt64LE(0x1000n, o + 80);
  file.writeBigUInt64LE(0x100000n, o + 88);
  file.writeBigUInt64LE(0x1000n, o + 96);
  file.writeUInt32LE(16, o + 108); // NumberOfRvaAndSizes
  layout.forEach((section, index) => {
    const at = sectionTable + index * 40;
    file.write(section.name.padEnd(8, '\0'), at, 8, 'latin1');
    file.writeUInt32LE(section.data.length, at + 8);
    file.writeUInt32LE(section.address, at + 12);
    file.writeUInt32LE(section.rawSize, at + 16);
    file.writeUInt32LE(section.pointer, at + 20);
    file.writeUInt32LE(section.code ? 0x60000020 : 0x40000040, at + 36);
    Buffer.from(section.data).copy(file, section.pointer);
  });
  return file;
}

/** `xor eax, eax; ret`: an entry point that returns EFI_SUCCESS. */
export const sampleEntryCode = Buffer.from([0x31, 0xc0, 0xc3]);

export interface SampleUkiOptions {
  cmdline?: string;
  stubVersion?: string;
  /** More UKI sections (e.g. .profile), after the usual ones. */
  extraSections?: Array<{ name: string; data: Buffer }>;
}

/** A UKI as ukify or objcopy would assemble it around systemd-stub, small enough for tests. */
export function buildSampleUki(options: SampleUkiOptions = {}): Buffer {
  const kernel = buildPe([
    { name: '.text', data: sampleEntryCode, code: true },
    { name: '.data', data: Buffer.from('osimage sample kernel\n') },
  ]);
  const initrd = Buffer.alloc(8192);
  for (let i = 0; i < initrd.length; i++) initrd[i] = (i * 31 + 7) & 0xff;
  return buildPe([
    { name: '.text', data: sampleEntryCode, code: true },
    { name: '.sdmagic', data: Buffer.from(`#### LoaderInfo: systemd-stub ${options.stubVersion ?? SAMPLE_STUB_VERSION} ####\0`) },
    { name: '.osrel', data: Buffer.from('ID=osimage-sample\nVERSION_ID=1\nPRETTY_NAME="osimage sample image"\n') },
    { name: '.cmdline', data: Buffer.from(options.cmdline ?? 'console=ttyS0 root=PARTLABEL=root ro') },
    { name: '.linux', data: kernel },
    { name: '.initrd', data: initrd },
    ...(options.extraSections ?? []),
  ]);
}

// ---------------------------------------------------------------- FAT16

const FAT_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1; // 2024-01-01, fixed for reproducible bytes

/**
 * A FAT16 file system of `size` bytes holding `files` (path → content; 8.3 names, upper case). Directories are
 * created as needed. Returns the whole volume; callers write only its non-zero blocks to keep images sparse.
 */
export function buildFat16(size: number, files: Record<string, Uint8Array>, label = 'ESP'): Buffer {
  const sectorsPerCluster = 4;
  const clusterSize = sectorsPerCluster * SECTOR;
  const reserved = 4;
  const rootEntries = 512;
  const rootSectors = (rootEntries * 32) / SECTOR;
  const totalSectors = size / SECTOR;
  let fatSectors = 1;
  let clusters = 0;
  for (;;) {
    clusters = Math.floor((totalSectors - reserved - rootSectors - 2 * fatSectors) / sectorsPerCluster);
    const needed = Math.ceil(((clusters + 2) * 2) / SECTOR);
    if (needed <= fatSectors) break;
    fatSectors = needed;
  }
  if (clusters < 4085 || clusters >= 65525) throw new Error(`a FAT16 volume of ${size} bytes would have ${clusters} clusters`);
  const volume = Buffer.alloc(size);
  const boot = volume.subarray(0, SECTOR);
  boot.set([0xeb, 0x3c, 0x90]);
  boot.write('OSIMAGE ', 3, 'latin1');
  boot.writeUInt16LE(SECTOR, 11);
  boot[13] = sectorsPerCluster;
  boot.writeUInt16LE(reserved, 14);
  boot[16] = 2;
  boot.writeUInt16LE(rootEntries, 17);
  if (totalSectors < 0x10000) boot.writeUInt16LE(totalSectors, 19);
  else boot.writeUInt32LE(totalSectors, 32);
  boot[21] = 0xf8;
  boot.writeUInt16LE(fatSectors, 22);
  boot.writeUInt16LE(32, 24);
  boot.writeUInt16LE(64, 26);
  boot.writeUInt32LE(2048, 28); // hidden sectors: the partition starts at LBA 2048
  boot[36] = 0x80;
  boot[38] = 0x29;
  boot.writeUInt32LE(0x05a3e1e0, 39); // fixed volume serial
  boot.write(label.toUpperCase().padEnd(11, ' ').slice(0, 11), 43, 'latin1');
  boot.write('FAT16   ', 54, 'latin1');
  boot.writeUInt16LE(0xaa55, 510);

  const fat = Buffer.alloc(fatSectors * SECTOR);
  fat.writeUInt16LE(0xfff8, 0);
  fat.writeUInt16LE(0xffff, 2);
  const rootDirOffset = (reserved + 2 * fatSectors) * SECTOR;
  const dataOffset = rootDirOffset + rootSectors * SECTOR;
  let nextCluster = 2;
  const allocate = (length: number): number => {
    const count = Math.max(1, Math.ceil(length / clusterSize));
    if (nextCluster + count > clusters + 2) throw new Error(`the files do not fit in a ${size}-byte FAT16 volume`);
    const first = nextCluster;
    for (let c = first; c < first + count; c++) fat.writeUInt16LE(c === first + count - 1 ? 0xffff : c + 1, c * 2);
    nextCluster += count;
    return first;
  };
  const clusterOffset = (cluster: number) => dataOffset + (cluster - 2) * clusterSize;

  interface Directory { entries: Buffer[]; children: Map<string, Directory>; cluster: number }
  const root: Directory = { entries: [], children: new Map(), cluster: 0 };
  const entry = (name: string, attributes: number, cluster: number, fileSize: number): Buffer => {
    const raw = Buffer.alloc(32);
    raw.write(shortName(name), 0, 11, 'latin1');
    raw[11] = attributes;
    raw.writeUInt16LE(FAT_DATE, 16);
    raw.writeUInt16LE(FAT_DATE, 18);
    raw.writeUInt16LE(FAT_DATE, 24);
    raw.writeUInt16LE(cluster, 26);
    raw.writeUInt32LE(fileSize, 28);
    return raw;
  };
  root.entries.push(entry(label, 0x08, 0, 0));
  const directory = (parts: string[]): Directory => {
    let current = root;
    for (const part of parts) {
      let child = current.children.get(part);
      if (!child) {
        child = { entries: [], children: new Map(), cluster: allocate(clusterSize) };
        child.entries.push(entry('.', 0x10, child.cluster, 0), entry('..', 0x10, current.cluster, 0));
        current.entries.push(entry(part, 0x10, child.cluster, 0));
        current.children.set(part, child);
      }
      current = child;
    }
    return current;
  };
  for (const [path, data] of Object.entries(files)) {
    const parts = path.split('/').filter(Boolean);
    const parent = directory(parts.slice(0, -1));
    const cluster = data.length > 0 ? allocate(data.length) : 0;
    if (cluster) Buffer.from(data).copy(volume, clusterOffset(cluster));
    parent.entries.push(entry(parts.at(-1)!, 0x20, cluster, data.length));
  }
  const writeDirectory = (dir: Directory) => {
    const bytes = Buffer.concat(dir.entries);
    const limit = dir === root ? rootSectors * SECTOR : clusterSize;
    if (bytes.length > limit) throw new Error('too many entries in one sample directory');
    bytes.copy(volume, dir === root ? rootDirOffset : clusterOffset(dir.cluster));
    for (const child of dir.children.values()) writeDirectory(child);
  };
  writeDirectory(root);
  fat.copy(volume, reserved * SECTOR);
  fat.copy(volume, (reserved + fatSectors) * SECTOR);
  return volume;
}

function shortName(name: string): string {
  if (name === '.' || name === '..') return name.padEnd(11, ' ');
  const match = /^([A-Z0-9_-]{1,8})(?:\.([A-Z0-9_-]{1,3}))?$/.exec(name);
  if (!match) throw new Error(`"${name}" is not an upper-case 8.3 name; the sample writer writes no long names`);
  return match[1]!.padEnd(8, ' ') + (match[2] ?? '').padEnd(3, ' ');
}

// ---------------------------------------------------------------- GPT

export interface GptPartitionInput {
  typeGuid: string;
  uniqueGuid: string;
  firstLba: number;
  lastLba: number;
  name: string;
}

/**
 * The protective MBR and primary GPT (LBA 0..33) and the backup GPT (its entries, then its header in the last LBA)
 * of a disk of `diskSize` bytes, with 128 entries of 128 bytes.
 */
export function buildGpt(diskSize: number, diskGuid: string, partitions: GptPartitionInput[]): { primary: Buffer; backup: Buffer } {
  const sectors = diskSize / SECTOR;
  const lastLba = sectors - 1;
  const entries = Buffer.alloc(128 * 128);
  partitions.forEach((partition, index) => {
    const at = index * 128;
    guidToBytes(partition.typeGuid).copy(entries, at);
    guidToBytes(partition.uniqueGuid).copy(entries, at + 16);
    entries.writeBigUInt64LE(BigInt(partition.firstLba), at + 32);
    entries.writeBigUInt64LE(BigInt(partition.lastLba), at + 40);
    entries.write(partition.name.slice(0, 36), at + 56, 'utf16le');
  });
  const header = (myLba: number, alternateLba: number, entriesLba: number): Buffer => {
    const h = Buffer.alloc(SECTOR);
    h.write('EFI PART', 0, 'latin1');
    h.writeUInt32LE(0x00010000, 8);
    h.writeUInt32LE(92, 12);
    h.writeBigUInt64LE(BigInt(myLba), 24);
    h.writeBigUInt64LE(BigInt(alternateLba), 32);
    h.writeBigUInt64LE(34n, 40);
    h.writeBigUInt64LE(BigInt(lastLba - 33), 48);
    guidToBytes(diskGuid).copy(h, 56);
    h.writeBigUInt64LE(BigInt(entriesLba), 72);
    h.writeUInt32LE(128, 80);
    h.writeUInt32LE(128, 84);
    h.writeUInt32LE(crc32(entries), 88);
    h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
    return h;
  };
  const mbr = Buffer.alloc(SECTOR);
  mbr.set([0x00, 0x00, 0x02, 0x00, 0xee, 0xff, 0xff, 0xff], 446);
  mbr.writeUInt32LE(1, 454);
  mbr.writeUInt32LE(Math.min(sectors - 1, 0xffffffff), 458);
  mbr.writeUInt16LE(0xaa55, 510);
  return {
    primary: Buffer.concat([mbr, header(1, lastLba, 2), entries]),
    backup: Buffer.concat([entries, header(lastLba, 1, lastLba - 32)]),
  };
}

// ---------------------------------------------------------------- the image

export interface SampleImageOptions extends SampleUkiOptions {
  sizeMiB?: number;
}

/** Writes the sample image to `path` (replacing it) and returns its size in bytes. */
export async function writeSampleImage(path: string, options: SampleImageOptions = {}): Promise<number> {
  const sizeMiB = options.sizeMiB ?? DEFAULT_SIZE_MIB;
  if (!Number.isInteger(sizeMiB) || sizeMiB < MIN_SIZE_MIB) {
    throw new Error(`--size-mib must be a whole number of at least ${MIN_SIZE_MIB}, got ${sizeMiB}`);
  }
  const size = sizeMiB * MiB;
  const espFirst = MiB / SECTOR;
  const espLast = espFirst + (ESP_SIZE_MIB * MiB) / SECTOR - 1;
  const rootFirst = espLast + 1;
  const rootLast = size / SECTOR - MiB / SECTOR - 1;
  const gpt = buildGpt(size, DISK_GUID, [
    { typeGuid: ESP_TYPE_GUID, uniqueGuid: ESP_GUID, firstLba: espFirst, lastLba: espLast, name: 'esp' },
    { typeGuid: LINUX_ROOT_X86_64_TYPE_GUID, uniqueGuid: ROOT_GUID, firstLba: rootFirst, lastLba: rootLast, name: 'root' },
  ]);
  const esp = buildFat16(ESP_SIZE_MIB * MiB, { 'EFI/BOOT/BOOTX64.EFI': buildSampleUki(options) });
  const rootData = Buffer.alloc(64 * 1024);
  rootData.write('osimage sample root partition (not a file system; data for size and checksums)\n');
  for (let i = 128; i < rootData.length; i++) rootData[i] = (i * 131 + (i >> 8)) & 0xff;

  await mkdir(dirname(path), { recursive: true });
  const file = await open(path, 'w');
  try {
    await file.truncate(size);
    await file.write(gpt.primary, 0, gpt.primary.length, 0);
    await writeNonZeroBlocks(file, esp, espFirst * SECTOR);
    await file.write(rootData, 0, rootData.length, rootFirst * SECTOR);
    await file.write(gpt.backup, 0, gpt.backup.length, size - gpt.backup.length);
  } finally {
    await file.close();
  }
  return size;
}

/** Writes only the 4 KiB blocks that hold data, so the image stays sparse on disk. */
async function writeNonZeroBlocks(file: import('node:fs/promises').FileHandle, data: Buffer, offset: number): Promise<void> {
  const block = 4096;
  for (let at = 0; at < data.length; at += block) {
    const chunk = data.subarray(at, at + block);
    if (chunk.some((byte) => byte !== 0)) await file.write(chunk, 0, chunk.length, offset + at);
  }
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { 'size-mib': { type: 'string' }, help: { type: 'boolean' } } });
  } catch (error) {
    process.stderr.write(`make-sample-image: ${(error as Error).message}\n`);
    return 2;
  }
  if (parsed.values.help || parsed.positionals.length !== 1) {
    process.stderr.write(
      'usage: make-sample-image OUT.raw [--size-mib N]\n\n' +
        `Writes a sparse raw GPT disk of N MiB (default ${DEFAULT_SIZE_MIB}, at least ${MIN_SIZE_MIB}) with an EFI system\n` +
        'partition holding a sample UKI at EFI/BOOT/BOOTX64.EFI, for the local run and the tests.\n',
    );
    return parsed.values.help ? 0 : 2;
  }
  const sizeMiB = parsed.values['size-mib'] === undefined ? DEFAULT_SIZE_MIB : Number(parsed.values['size-mib']);
  try {
    const size = await writeSampleImage(parsed.positionals[0]!, { sizeMiB });
    process.stderr.write(`wrote ${parsed.positionals[0]} (${size / MiB} MiB)\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`make-sample-image: ${(error as Error).message}\n`);
    return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
