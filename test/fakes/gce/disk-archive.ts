import { gunzipSync } from 'node:zlib';

/**
 * What GCE's image import checks in a rawDisk source: a gzip'd tar whose first entry is `disk.raw`, a regular or
 * GNU sparse file, whose size is a whole number of GiB. Returns that size.
 */
export function diskSizeOfArchive(archive: Buffer): number {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch {
    throw new Error('The image archive is not a gzip file.');
  }
  const header = tar.subarray(0, 512);
  if (header.length < 512) throw new Error('The image archive is not a tar file.');
  const stored = header.readUInt32BE(148) === 0x20202020 ? -1 : parseOctal(header.subarray(148, 156));
  let sum = 0;
  for (let index = 0; index < 512; index++) sum += index >= 148 && index < 156 ? 0x20 : header[index]!;
  if (stored !== sum) throw new Error('The image archive is not a tar file (bad header checksum).');
  const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
  if (name !== 'disk.raw') throw new Error(`The image archive must contain disk.raw, found "${name}".`);
  const type = String.fromCharCode(header[156]!);
  if (type !== '0' && type !== 'S' && type !== '\0') throw new Error(`disk.raw has tar entry type "${type}", expected a file.`);
  const size = parseNumber(header.subarray(type === 'S' ? 483 : 124, type === 'S' ? 495 : 136));
  if (size === 0 || size % 2 ** 30 !== 0) throw new Error(`The disk size ${size} is not a multiple of 1 GiB.`);
  return size;
}

function parseNumber(field: Buffer): number {
  if (field[0]! & 0x80) {
    let value = 0n;
    for (let index = 1; index < field.length; index++) value = (value << 8n) | BigInt(field[index]!);
    return Number(value);
  }
  return parseOctal(field);
}

function parseOctal(field: Buffer): number {
  return parseInt(field.toString('latin1').replace(/[\0 ]+$/, '').trim() || '0', 8);
}
