import { InputError } from '../../pipeline/errors.js';

export interface PeSection {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  sizeOfRawData: number;
  pointerToRawData: number;
}

export interface PeImage {
  /** 0x10b (PE32) or 0x20b (PE32+). */
  magic: number;
  machine: number;
  sizeOfHeaders: number;
  /** Byte offsets of the fields Authenticode skips. */
  checksumOffset: number;
  /** Undefined when the optional header has no certificate table directory entry. */
  certificateEntryOffset?: number;
  certificateTable: { offset: number; size: number };
  sections: PeSection[];
}

const IMAGE_DIRECTORY_ENTRY_SECURITY = 4;

/**
 * Parses the headers of a PE/COFF image (Microsoft's PE format) far enough to hash it and to find its sections.
 * Everything is bounds-checked, so a truncated or foreign file gets an error that says so.
 */
export function parsePe(data: Uint8Array, what: string): PeImage {
  const file = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const notPe = (why: string) => new InputError(`${what} is not a PE/COFF image: ${why}`, 'the boot chain must be UEFI executables (PE32+)');
  const truncated = (why: string) => new InputError(`${what} is a truncated PE image: ${why}`);
  if (file.length < 64 || file.toString('latin1', 0, 2) !== 'MZ') throw notPe('no MZ header');
  const peOffset = file.readUInt32LE(0x3c);
  if (peOffset + 24 > file.length) throw truncated('the PE header lies past the end of the file');
  if (file.toString('latin1', peOffset, peOffset + 4) !== 'PE\0\0') throw notPe('no PE signature');
  const coff = peOffset + 4;
  const machine = file.readUInt16LE(coff);
  const sectionCount = file.readUInt16LE(coff + 2);
  const optionalSize = file.readUInt16LE(coff + 16);
  const optional = coff + 20;
  if (optional + optionalSize > file.length || optionalSize < 2) throw truncated('the optional header lies past the end of the file');
  const magic = file.readUInt16LE(optional);
  if (magic !== 0x10b && magic !== 0x20b) throw notPe(`unknown optional header magic 0x${magic.toString(16)}`);
  const directoryCountOffset = optional + (magic === 0x20b ? 108 : 92);
  if (directoryCountOffset + 4 > optional + optionalSize) throw truncated('the optional header is too short');
  const sizeOfHeaders = file.readUInt32LE(optional + 60);
  const directoryCount = file.readUInt32LE(directoryCountOffset);
  const directories = directoryCountOffset + 4;
  let certificateEntryOffset: number | undefined;
  let certificateTable = { offset: 0, size: 0 };
  if (directoryCount > IMAGE_DIRECTORY_ENTRY_SECURITY) {
    certificateEntryOffset = directories + IMAGE_DIRECTORY_ENTRY_SECURITY * 8;
    if (certificateEntryOffset + 8 > optional + optionalSize) throw truncated('the data directories are cut short');
    certificateTable = { offset: file.readUInt32LE(certificateEntryOffset), size: file.readUInt32LE(certificateEntryOffset + 4) };
    if (certificateTable.size > 0 && certificateTable.offset + certificateTable.size > file.length) {
      throw truncated('the certificate table lies past the end of the file');
    }
  }
  const sectionTable = optional + optionalSize;
  if (sectionTable + sectionCount * 40 > file.length) throw truncated('the section table lies past the end of the file');
  if (sizeOfHeaders > file.length || sizeOfHeaders < sectionTable + sectionCount * 40) {
    throw truncated(`SizeOfHeaders ${sizeOfHeaders} does not cover the headers within the file`);
  }
  const sections: PeSection[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const at = sectionTable + i * 40;
    const section: PeSection = {
      name: file.toString('latin1', at, at + 8).replace(/\0+$/, ''),
      virtualSize: file.readUInt32LE(at + 8),
      virtualAddress: file.readUInt32LE(at + 12),
      sizeOfRawData: file.readUInt32LE(at + 16),
      pointerToRawData: file.readUInt32LE(at + 20),
    };
    if (section.sizeOfRawData > 0 && section.pointerToRawData + section.sizeOfRawData > file.length) {
      throw truncated(`section ${section.name} lies past the end of the file (${file.length} bytes)`);
    }
    sections.push(section);
  }
  return { magic, machine, sizeOfHeaders, checksumOffset: optional + 64, certificateEntryOffset, certificateTable, sections };
}

/** A section's content as the loader maps it: VirtualSize bytes, the part past the raw data zero-filled. */
export function sectionContent(data: Uint8Array, section: PeSection): Buffer {
  const content = Buffer.alloc(section.virtualSize);
  const raw = Math.min(section.sizeOfRawData, section.virtualSize);
  Buffer.from(data.buffer, data.byteOffset + section.pointerToRawData, raw).copy(content);
  return content;
}
