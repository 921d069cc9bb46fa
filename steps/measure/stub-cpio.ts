/**
 * The cpio archives systemd-stub generates (its cpio.c, "newc" format) to hand UKI sections to the initrd as files
 * under /.extra (which sections, per version: stub-versions.ts). The stub appends them to the initrd, so the kernel
 * measures their exact bytes into PCR 9.
 */

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const DIRECTORY = '.extra';

function pad4(parts: Buffer[], length: number): number {
  const pad = (4 - (length % 4)) % 4;
  if (pad > 0) parts.push(Buffer.alloc(pad));
  return length + pad;
}

/** A newc header: the magic, then 13 eight-digit hex words (lower case, as the stub writes them). */
function header(inode: number, mode: number, size: number, nameSize: number): Buffer {
  const words = [inode, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, nameSize, 0];
  return Buffer.from(`070701${words.map((word) => word.toString(16).padStart(8, '0')).join('')}`, 'latin1');
}

/** The trailer as the stub spells it (an upper-case B in its name size, and four NULs). */
const TRAILER = Buffer.from(`070701${'00000000'.repeat(4)}00000001${'00000000'.repeat(6)}0000000B00000000TRAILER!!!\0\0\0\0`, 'latin1');

/** The archive systemd-stub's pack_cpio_literal() makes of one section: the .extra directory, the file, the trailer. */
export function stubCpio(file: string, content: Buffer): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  const push = (bytes: Buffer) => {
    parts.push(bytes);
    length += bytes.length;
  };
  const directoryName = Buffer.from(`${DIRECTORY}\0`, 'latin1');
  push(header(1, S_IFDIR | 0o555, 0, directoryName.length));
  push(directoryName);
  length = pad4(parts, length);
  const fileName = Buffer.from(`${DIRECTORY}/${file}\0`, 'latin1');
  push(header(2, S_IFREG | 0o444, content.length, fileName.length));
  push(fileName);
  length = pad4(parts, length);
  push(content);
  length = pad4(parts, length);
  push(TRAILER);
  return Buffer.concat(parts);
}
