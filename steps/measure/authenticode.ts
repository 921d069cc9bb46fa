import { createHash } from 'node:crypto';
import { InputError } from '../../pipeline/errors.js';
import { parsePe, type PeImage } from './pe.js';

/**
 * The Authenticode SHA-256 digest of a PE image, as UEFI firmware computes it before it measures an image into PCR 4
 * (the PE/COFF specification's "Calculating the PE Image Hash", EDK2's HashPeImage): the headers less the CheckSum
 * field and the certificate table directory entry, the sections in file order, then the data after the last section
 * less the certificate table.
 */
export function authenticodeSha256(data: Uint8Array, what: string, pe: PeImage = parsePe(data, what)): Buffer {
  const file = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const hash = createHash('sha256');
  hash.update(file.subarray(0, pe.checksumOffset));
  if (pe.certificateEntryOffset === undefined) {
    hash.update(file.subarray(pe.checksumOffset + 4, pe.sizeOfHeaders));
  } else {
    hash.update(file.subarray(pe.checksumOffset + 4, pe.certificateEntryOffset));
    hash.update(file.subarray(pe.certificateEntryOffset + 8, pe.sizeOfHeaders));
  }
  let hashed = pe.sizeOfHeaders;
  const sections = pe.sections.filter((s) => s.sizeOfRawData > 0).sort((a, b) => a.pointerToRawData - b.pointerToRawData);
  for (const section of sections) {
    hash.update(file.subarray(section.pointerToRawData, section.pointerToRawData + section.sizeOfRawData));
    hashed += section.sizeOfRawData;
  }
  const certificateSize = pe.certificateTable.size;
  if (file.length > hashed + certificateSize) {
    hash.update(file.subarray(hashed, file.length - certificateSize));
  } else if (file.length < hashed) {
    throw new InputError(`${what} is a truncated PE image: its headers and sections need ${hashed} bytes, the file has ${file.length}`);
  }
  return hash.digest();
}
