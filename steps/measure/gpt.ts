import { InputError } from '../../pipeline/errors.js';
import type { ByteSource } from './byte-source.js';
import { crc32 } from './crc32.js';
import { ESP_TYPE_GUID, guidFromBytes } from './guid.js';

export const SECTOR_SIZE = 512;
export const GPT_SIGNATURE = 'EFI PART';
export const GPT_HEADER_SIZE = 92;

export interface GptPartition {
  index: number;
  typeGuid: string;
  uniqueGuid: string;
  firstLba: number;
  lastLba: number;
  name: string;
  /** Byte offset and length on the disk. */
  offset: number;
  size: number;
}

export interface Gpt {
  diskGuid: string;
  partitions: GptPartition[];
}

/**
 * Reads the primary GPT (512-byte sectors, as raw cloud images use) and checks what firmware checks: the signature,
 * the header CRC and the partition entry array CRC. A damaged table is an error, never a guess.
 */
export async function readGpt(disk: ByteSource, what = 'the image'): Promise<Gpt> {
  if (disk.size < SECTOR_SIZE * 3) throw new InputError(`${what} is ${disk.size} bytes, too small to hold a GPT`);
  const header = await disk.read(SECTOR_SIZE, SECTOR_SIZE);
  if (header.toString('latin1', 0, 8) !== GPT_SIGNATURE) {
    throw new InputError(`${what} has no GPT: LBA 1 does not start with "EFI PART"`, 'osimage measures GPT disk images with an EFI system partition');
  }
  const headerSize = header.readUInt32LE(12);
  if (headerSize < GPT_HEADER_SIZE || headerSize > SECTOR_SIZE) throw new InputError(`${what}: the GPT header size ${headerSize} is invalid`);
  const stored = header.readUInt32LE(16);
  const copy = Buffer.from(header.subarray(0, headerSize));
  copy.writeUInt32LE(0, 16);
  if (crc32(copy) !== stored) throw new InputError(`${what}: the GPT header CRC does not match (the header is damaged)`);

  const entriesLba = Number(header.readBigUInt64LE(72));
  const count = header.readUInt32LE(80);
  const entrySize = header.readUInt32LE(84);
  if (entrySize < 128 || entrySize % 8 !== 0 || count > 1024) {
    throw new InputError(`${what}: GPT partition entries (${count} of ${entrySize} bytes) are not valid`);
  }
  const entries = await disk.read(entriesLba * SECTOR_SIZE, count * entrySize);
  if (crc32(entries) !== header.readUInt32LE(88)) {
    throw new InputError(`${what}: the GPT partition entry array CRC does not match (the table is damaged)`);
  }

  const partitions: GptPartition[] = [];
  for (let index = 0; index < count; index++) {
    const entry = entries.subarray(index * entrySize, (index + 1) * entrySize);
    if (entry.subarray(0, 16).every((byte) => byte === 0)) continue;
    const firstLba = Number(entry.readBigUInt64LE(32));
    const lastLba = Number(entry.readBigUInt64LE(40));
    const offset = firstLba * SECTOR_SIZE;
    const size = (lastLba - firstLba + 1) * SECTOR_SIZE;
    if (lastLba < firstLba || offset + size > disk.size) {
      throw new InputError(`${what}: GPT partition ${index + 1} (LBA ${firstLba}..${lastLba}) lies outside the disk`);
    }
    partitions.push({
      index: index + 1,
      typeGuid: guidFromBytes(entry.subarray(0, 16)),
      uniqueGuid: guidFromBytes(entry.subarray(16, 32)),
      firstLba,
      lastLba,
      name: entry.toString('utf16le', 56, 128).replace(/\0.*$/s, ''),
      offset,
      size,
    });
  }
  return { diskGuid: guidFromBytes(header.subarray(56, 72)), partitions };
}

/** The EFI system partition: the one partition with the ESP type GUID. */
export function findEsp(gpt: Gpt, what = 'the image'): GptPartition {
  const esps = gpt.partitions.filter((partition) => partition.typeGuid === ESP_TYPE_GUID);
  if (esps.length === 0) {
    throw new InputError(`${what} has no EFI system partition (no GPT entry of type ${ESP_TYPE_GUID})`, 'create one with sgdisk --typecode=N:ef00');
  }
  if (esps.length > 1) throw new InputError(`${what} has ${esps.length} EFI system partitions; expected one`);
  return esps[0]!;
}
