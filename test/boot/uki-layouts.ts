/**
 * UKIs as the two common tools lay them out: objcopy (the systemd-stub man page's recipe, each section placed after
 * the stub's last one) and ukify (systemd's own builder, which also adds .uname, merges .sbat and can add .pcrpkey,
 * .ucode and profiles).
 */
import { execFile } from 'node:child_process';
import { open, readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface UkiInputs {
  stub: string;
  linux: string;
  initrd: string;
  cmdline: string;
  osrel: string;
}

const align = (value: bigint, to: bigint) => ((value + to - 1n) / to) * to;

/** The first address past the stub's sections (`objdump -h`: size and VMA of each). */
async function endOfSections(stub: string): Promise<bigint> {
  const { stdout } = await run('objdump', ['-h', stub]);
  let end = 0n;
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (!/^\d+$/.test(fields[0] ?? '')) continue;
    const sectionEnd = BigInt(`0x${fields[3]}`) + BigInt(`0x${fields[2]}`);
    if (sectionEnd > end) end = sectionEnd;
  }
  return end;
}

/** objcopy --add-section for each part, in the given order, each at the next page after the one before. */
export async function objcopyUki(output: string, inputs: UkiInputs, extra: Record<string, string> = {}): Promise<string> {
  const parts: Record<string, string> = {
    '.osrel': inputs.osrel, '.cmdline': inputs.cmdline, ...extra, '.linux': inputs.linux, '.initrd': inputs.initrd,
  };
  const args: string[] = [];
  let address = align(await endOfSections(inputs.stub), 0x1000n);
  for (const [name, file] of Object.entries(parts)) {
    args.push('--add-section', `${name}=${file}`, '--change-section-vma', `${name}=0x${address.toString(16)}`);
    address = align(address + BigInt((await stat(file)).size), 0x1000n);
  }
  await run('objcopy', [...args, inputs.stub, output]);
  await keepTimestamp(inputs.stub, output);
  return output;
}

/**
 * objcopy stamps the PE header with the time of the copy (and a checksum over it); the stub's own stamp and a zero
 * checksum (which UEFI ignores) make the UKI reproducible.
 */
async function keepTimestamp(stub: string, output: string): Promise<void> {
  const original = await readFile(stub);
  const timestampAt = (pe: Buffer) => pe.readUInt32LE(0x3c) + 8;
  const file = await open(output, 'r+');
  try {
    const header = Buffer.alloc(4096);
    await file.read(header, 0, header.length, 0);
    await file.write(original.subarray(timestampAt(original), timestampAt(original) + 4), 0, 4, timestampAt(header));
    await file.write(Buffer.alloc(4), 0, 4, timestampAt(header) + 16 + 64);
  } finally {
    await file.close();
  }
}

export interface UkifyOptions {
  ukify: string;
  /** Extra ukify arguments, e.g. ['--uname=6.12.0', '--pcrpkey=key.pem', '--microcode=ucode.cpio']. */
  args?: string[];
}

/** `ukify build` around the same parts, run by Debian's python3 (which has python3-pefile). */
export async function ukifyUki(output: string, inputs: UkiInputs, options: UkifyOptions): Promise<string> {
  await run('/usr/bin/python3', [
    options.ukify, 'build',
    `--stub=${inputs.stub}`, `--linux=${inputs.linux}`, `--initrd=${inputs.initrd}`,
    `--cmdline=@${inputs.cmdline}`, `--os-release=@${inputs.osrel}`,
    ...(options.args ?? []),
    `--output=${output}`,
  ], { maxBuffer: 16 << 20 });
  return output;
}
