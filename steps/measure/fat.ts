import { InputError } from '../../pipeline/errors.js';
import type { ByteSource } from './byte-source.js';

export type FatType = 'FAT12' | 'FAT16' | 'FAT32';

interface FatEntry {
  name: string;
  isDirectory: boolean;
  size: number;
  firstCluster: number;
}

export interface FatVolume {
  readonly type: FatType;
  /** A file's bytes; names match case-insensitively, as on FAT. */
  readFile(path: string): Promise<Buffer>;
}

const ATTR_VOLUME_ID = 0x08;
const ATTR_DIRECTORY = 0x10;
const ATTR_LONG_NAME = 0x0f;

interface Layout {
  type: FatType;
  bytesPerSector: number;
  clusterSize: number;
  fatOffset: number;
  rootDirOffset: number;
  rootDirSize: number;
  rootCluster: number;
  dataOffset: number;
  clusterCount: number;
}

/**
 * Opens a FAT12/16/32 file system read-only (Microsoft's FAT specification), reading only the sectors it needs
 * through positioned reads. FAT sectors are cached, so walking a chain costs one read per FAT sector.
 */
export async function openFat(volume: ByteSource, what = 'the EFI system partition'): Promise<FatVolume> {
  const layout = parseBootSector(await volume.read(0, 512), volume.size, what);
  const fatSectors = new Map<number, Promise<Buffer>>();
  const fatBytes = async (offset: number, length: number): Promise<Buffer> => {
    const sector = Math.floor(offset / layout.bytesPerSector);
    const last = Math.floor((offset + length - 1) / layout.bytesPerSector);
    const parts: Buffer[] = [];
    for (let s = sector; s <= last; s++) {
      let read = fatSectors.get(s);
      if (!read) {
        read = volume.read(layout.fatOffset + s * layout.bytesPerSector, layout.bytesPerSector);
        fatSectors.set(s, read);
      }
      parts.push(await read);
    }
    const start = offset - sector * layout.bytesPerSector;
    return Buffer.concat(parts).subarray(start, start + length);
  };

  const nextCluster = async (cluster: number): Promise<number | undefined> => {
    let value: number;
    if (layout.type === 'FAT12') {
      const pair = (await fatBytes(Math.floor(cluster * 1.5), 2)).readUInt16LE(0);
      value = cluster & 1 ? pair >> 4 : pair & 0xfff;
      return value >= 0xff8 ? undefined : value;
    }
    if (layout.type === 'FAT16') {
      value = (await fatBytes(cluster * 2, 2)).readUInt16LE(0);
      return value >= 0xfff8 ? undefined : value;
    }
    value = (await fatBytes(cluster * 4, 4)).readUInt32LE(0) & 0x0fffffff;
    return value >= 0x0ffffff8 ? undefined : value;
  };

  const chain = async (first: number, context: string): Promise<number[]> => {
    const clusters: number[] = [];
    for (let cluster: number | undefined = first; cluster !== undefined; cluster = await nextCluster(cluster)) {
      if (cluster < 2 || cluster >= layout.clusterCount + 2) {
        throw new InputError(`${what}: ${context} points to cluster ${cluster}, outside the file system (damaged FAT)`);
      }
      // A chain longer than the file system has clusters loops; a damaged FAT must not read forever.
      if (clusters.length >= layout.clusterCount) throw new InputError(`${what}: ${context} has a cluster chain loop`);
      clusters.push(cluster);
    }
    return clusters;
  };

  const readClusters = async (clusters: number[], length: number): Promise<Buffer> => {
    const out = Buffer.alloc(length);
    let done = 0;
    // Contiguous clusters are read in one positioned read: files written in one go are mostly contiguous.
    for (let i = 0; i < clusters.length && done < length; ) {
      let run = 1;
      while (i + run < clusters.length && clusters[i + run] === clusters[i]! + run) run++;
      const count = Math.min(run * layout.clusterSize, length - done);
      const data = await volume.read(layout.dataOffset + (clusters[i]! - 2) * layout.clusterSize, count);
      data.copy(out, done);
      done += count;
      i += run;
    }
    if (done < length) throw new InputError(`${what}: a file's cluster chain is shorter than its size`);
    return out;
  };

  const readDirectory = async (entry: FatEntry | undefined): Promise<FatEntry[]> => {
    let raw: Buffer;
    if (!entry || entry.firstCluster === 0) {
      if (layout.type === 'FAT32') {
        const clusters = await chain(layout.rootCluster, 'the root directory');
        raw = await readClusters(clusters, clusters.length * layout.clusterSize);
      } else {
        raw = await volume.read(layout.rootDirOffset, layout.rootDirSize);
      }
    } else {
      const clusters = await chain(entry.firstCluster, `the directory ${entry.name}`);
      raw = await readClusters(clusters, clusters.length * layout.clusterSize);
    }
    return parseDirectory(raw, layout.type);
  };

  const resolve = async (path: string): Promise<FatEntry | undefined> => {
    const parts = path.split('/').filter((part) => part.length > 0);
    let current: FatEntry | undefined;
    for (const [index, part] of parts.entries()) {
      const entries = await readDirectory(current);
      const found = entries.find((e) => e.name.toUpperCase() === part.toUpperCase());
      if (!found) {
        throw new InputError(`${what}: ${parts.slice(0, index + 1).join('/')} does not exist`, `expected the boot chain file ${path} on the ESP`);
      }
      if (index < parts.length - 1 && !found.isDirectory) throw new InputError(`${what}: ${parts.slice(0, index + 1).join('/')} is not a directory`);
      current = found;
    }
    return current;
  };

  return {
    type: layout.type,
    readFile: async (path) => {
      const entry = await resolve(path);
      if (!entry || entry.isDirectory) throw new InputError(`${what}: ${path} is a directory, not a file`);
      if (entry.size === 0) return Buffer.alloc(0);
      return readClusters(await chain(entry.firstCluster, path), entry.size);
    },
  };
}

function parseBootSector(boot: Buffer, volumeSize: number, what: string): Layout {
  const unformatted = () =>
    new InputError(`${what} holds no FAT file system (no valid FAT boot sector)`, 'format it with mkfs.vfat (FAT12, FAT16 or FAT32)');
  if (boot.readUInt16LE(510) !== 0xaa55) throw unformatted();
  const bytesPerSector = boot.readUInt16LE(11);
  const sectorsPerCluster = boot[13]!;
  const reservedSectors = boot.readUInt16LE(14);
  const fatCount = boot[16]!;
  const rootEntries = boot.readUInt16LE(17);
  const totalSectors = boot.readUInt16LE(19) || boot.readUInt32LE(32);
  const fatSize = boot.readUInt16LE(22) || boot.readUInt32LE(36);
  const validSectorSize = [512, 1024, 2048, 4096].includes(bytesPerSector);
  const validClusterSize = sectorsPerCluster > 0 && (sectorsPerCluster & (sectorsPerCluster - 1)) === 0;
  if (!validSectorSize || !validClusterSize || reservedSectors === 0 || fatCount === 0 || fatSize === 0 || totalSectors === 0) {
    throw unformatted();
  }
  if (totalSectors * bytesPerSector > volumeSize) {
    throw new InputError(`${what}: the FAT file system (${totalSectors * bytesPerSector} bytes) is larger than its partition (${volumeSize} bytes)`);
  }
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const dataSectors = totalSectors - (reservedSectors + fatCount * fatSize + rootDirSectors);
  const clusterCount = Math.floor(dataSectors / sectorsPerCluster);
  if (clusterCount <= 0) throw unformatted();
  // The FAT type follows from the cluster count alone (the specification's rule), never from the label.
  const type: FatType = clusterCount < 4085 ? 'FAT12' : clusterCount < 65525 ? 'FAT16' : 'FAT32';
  const fatOffset = reservedSectors * bytesPerSector;
  const rootDirOffset = fatOffset + fatCount * fatSize * bytesPerSector;
  return {
    type,
    bytesPerSector,
    clusterSize: sectorsPerCluster * bytesPerSector,
    fatOffset,
    rootDirOffset,
    rootDirSize: rootDirSectors * bytesPerSector,
    rootCluster: type === 'FAT32' ? boot.readUInt32LE(44) : 0,
    dataOffset: rootDirOffset + rootDirSectors * bytesPerSector,
    clusterCount,
  };
}

/** Directory entries with their long names (VFAT), skipping deleted entries, volume labels, `.` and `..`. */
function parseDirectory(raw: Buffer, type: FatType): FatEntry[] {
  const entries: FatEntry[] = [];
  let longName: string[] = [];
  let longChecksum = -1;
  for (let offset = 0; offset + 32 <= raw.length; offset += 32) {
    const entry = raw.subarray(offset, offset + 32);
    const first = entry[0]!;
    if (first === 0x00) break;
    if (first === 0xe5) {
      longName = [];
      continue;
    }
    const attributes = entry[11]!;
    if ((attributes & 0x3f) === ATTR_LONG_NAME) {
      const order = first & 0x1f;
      if (first & 0x40) longName = [];
      const part = Buffer.concat([entry.subarray(1, 11), entry.subarray(14, 26), entry.subarray(28, 32)]);
      longName[order - 1] = part.toString('utf16le');
      longChecksum = entry[13]!;
      continue;
    }
    if (attributes & ATTR_VOLUME_ID) {
      longName = [];
      continue;
    }
    const shortName = entry.subarray(0, 11);
    let name: string;
    if (longName.length > 0 && shortNameChecksum(shortName) === longChecksum) {
      name = longName.join('').replace(/\0[\s\S]*$/, '').replace(/\uffff+$/, '');
    } else {
      name = formatShortName(shortName, entry[12]!);
    }
    longName = [];
    if (name === '.' || name === '..') continue;
    const high = type === 'FAT32' ? entry.readUInt16LE(20) : 0;
    entries.push({
      name,
      isDirectory: (attributes & ATTR_DIRECTORY) !== 0,
      size: entry.readUInt32LE(28),
      firstCluster: (high << 16) | entry.readUInt16LE(26),
    });
  }
  return entries;
}

function shortNameChecksum(shortName: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + shortName[i]!) & 0xff;
  return sum;
}

function formatShortName(shortName: Buffer, caseFlags: number): string {
  const bytes = Buffer.from(shortName);
  if (bytes[0] === 0x05) bytes[0] = 0xe5;
  let base = bytes.toString('latin1', 0, 8).trimEnd();
  let extension = bytes.toString('latin1', 8, 11).trimEnd();
  // Windows NT's flags for all-lower-case base names and extensions, which mtools and Linux honour.
  if (caseFlags & 0x08) base = base.toLowerCase();
  if (caseFlags & 0x10) extension = extension.toLowerCase();
  return extension ? `${base}.${extension}` : base;
}
