import { randomUUID } from 'node:crypto';

/** A VHD footer is one 512-byte sector; a fixed VHD is the raw disk followed by it. */
export const VHD_FOOTER_SIZE = 512;

/** Azure takes only fixed VHDs whose virtual size is a whole number of MiB. */
export const VHD_ALIGNMENT = 1024 * 1024;

/** VHD timestamps count seconds from 2000-01-01T00:00:00Z. */
const VHD_EPOCH_SECONDS = Date.UTC(2000, 0, 1) / 1000;

export interface VhdFooterOptions {
  /** The virtual disk size in bytes: a whole number of MiB. */
  diskSize: number;
  /** When the VHD was made; now by default. */
  created?: Date;
  /** The footer's unique id (16 bytes); random by default. */
  uniqueId?: Buffer;
}

/**
 * The footer of a fixed VHD, field for field as `qemu-img convert -O vpc -o subformat=fixed,force_size` writes it
 * (VHD specification, "Hard Disk Footer Format"). With force_size qemu keeps the exact size and writes the largest
 * CHS geometry (65535 cylinders, 16 heads, 255 sectors) instead of rounding the size to a geometry; Azure reads the
 * size from the "current size" field and ignores the geometry, so we do the same and match qemu byte for byte.
 */
export function vhdFooter(options: VhdFooterOptions): Buffer {
  const { diskSize } = options;
  if (!Number.isSafeInteger(diskSize) || diskSize <= 0 || diskSize % VHD_ALIGNMENT !== 0) {
    throw new RangeError(`a fixed VHD for Azure needs a positive whole number of MiB, not ${diskSize} bytes`);
  }
  const uniqueId = options.uniqueId ?? Buffer.from(randomUUID().replaceAll('-', ''), 'hex');
  if (uniqueId.length !== 16) throw new RangeError(`a VHD unique id has 16 bytes, not ${uniqueId.length}`);
  const created = Math.floor((options.created ?? new Date()).getTime() / 1000) - VHD_EPOCH_SECONDS;

  const footer = Buffer.alloc(VHD_FOOTER_SIZE);
  footer.write('conectix', 0, 'latin1'); // cookie
  footer.writeUInt32BE(0x00000002, 8); // features: the "reserved" bit that must always be set
  footer.writeUInt32BE(0x00010000, 12); // file format version 1.0
  footer.writeBigUInt64BE(0xffffffffffffffffn, 16); // data offset: none, a fixed disk has no dynamic header
  footer.writeUInt32BE(created >>> 0, 24);
  footer.write('qem2', 28, 'latin1'); // creator application: what qemu writes with force_size
  footer.writeUInt16BE(0x0005, 32); // creator version 5.3 (Virtual PC 2007), as qemu writes
  footer.writeUInt16BE(0x0003, 34);
  footer.write('Wi2k', 36, 'latin1'); // creator host OS
  footer.writeBigUInt64BE(BigInt(diskSize), 40); // original size
  footer.writeBigUInt64BE(BigInt(diskSize), 48); // current size
  footer.writeUInt16BE(65535, 56); // cylinders
  footer.writeUInt8(16, 58); // heads
  footer.writeUInt8(255, 59); // sectors per track
  footer.writeUInt32BE(2, 60); // disk type: fixed
  uniqueId.copy(footer, 68);
  // Byte 84 (saved state) and the reserved rest stay zero.
  footer.writeUInt32BE(vhdChecksum(footer), 64);
  return footer;
}

/** One's complement of the byte sum of the footer with its checksum field zero. */
function vhdChecksum(footer: Buffer): number {
  let sum = 0;
  for (let i = 0; i < footer.length; i++) if (i < 64 || i >= 68) sum += footer[i]!;
  return ~sum >>> 0;
}

/** The virtual disk size of a raw image of `rawSize` bytes: padded with zeros to a whole MiB. */
export function vhdDiskSize(rawSize: number): number {
  return Math.ceil(rawSize / VHD_ALIGNMENT) * VHD_ALIGNMENT;
}
