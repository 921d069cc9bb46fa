/**
 * GUIDs as GPT stores them: the first three fields little-endian, the last two as bytes in order
 * (C12A7328-F81F-11D2-BA4B-00A0C93EC93B is stored as 28 73 2A C1 1F F8 D2 11 BA 4B 00 A0 C9 3E C9 3B).
 */
export function guidToBytes(guid: string): Buffer {
  const match = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(guid);
  if (!match) throw new Error(`not a GUID: ${guid}`);
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32LE(parseInt(match[1]!, 16), 0);
  bytes.writeUInt16LE(parseInt(match[2]!, 16), 4);
  bytes.writeUInt16LE(parseInt(match[3]!, 16), 6);
  Buffer.from(match[4]! + match[5]!, 'hex').copy(bytes, 8);
  return bytes;
}

export function guidFromBytes(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, 16);
  const hex = (value: number, width: number) => value.toString(16).padStart(width, '0');
  const tail = buffer.subarray(8, 16).toString('hex');
  return [
    hex(buffer.readUInt32LE(0), 8),
    hex(buffer.readUInt16LE(4), 4),
    hex(buffer.readUInt16LE(6), 4),
    tail.slice(0, 4),
    tail.slice(4),
  ].join('-').toUpperCase();
}

export const ESP_TYPE_GUID = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
/** The Discoverable Partitions Specification's root partition for x86-64. */
export const LINUX_ROOT_X86_64_TYPE_GUID = '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709';
