/**
 * Boots a disk image under QEMU (TCG) with OVMF and a software TPM (swtpm) and returns what the initrd's /init
 * reported: every SHA-256 PCR and the firmware event log. Results are cached by the SHA-256 of the disk and of the
 * boot recipe (firmware, machine options), so a rerun of the suite boots only what changed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE } from './debian-parts.js';
import { REPORT_BEGIN, REPORT_END } from './initrd.js';

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';
const BOOTS = join(CACHE, 'boots');
const BOOT_TIMEOUT_MS = 180_000;

export interface BootReport {
  /** PCR index → lower-case hex of the SHA-256 bank. */
  pcrs: Record<number, string>;
  /** The firmware's TCG2 event log, as the kernel exposed it. */
  eventLog: Buffer;
  /** Whether this came from the cache rather than a boot just now. */
  cached: boolean;
}

function qemuArgs(dir: string, disk: string): string[] {
  return [
    '-machine', 'q35', '-accel', 'tcg', '-cpu', 'max', '-m', '512', '-smp', '1',
    '-nographic', '-no-reboot', '-nic', 'none', '-monitor', 'none', '-serial', `file:${join(dir, 'console.log')}`,
    '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
    '-drive', `if=pflash,format=raw,file=${join(dir, 'vars.fd')}`,
    '-chardev', `socket,id=chrtpm,path=${join(dir, 'swtpm.sock')}`,
    '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm', '-device', 'tpm-crb,tpmdev=tpm0',
    // bootindex puts the disk first in the firmware's boot order, so no other boot option is tried (and logged) first.
    '-drive', `file=${disk},format=raw,if=none,id=disk,readonly=on`, '-device', 'virtio-blk-pci,drive=disk,bootindex=1',
  ];
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The cache key: the disk's bytes and everything else that shapes what the TPM sees. */
async function bootKey(disk: string): Promise<string> {
  const recipe = JSON.stringify({ args: qemuArgs('DIR', 'DISK'), ovmfCode: await fileSha256(OVMF_CODE), ovmfVars: await fileSha256(OVMF_VARS) });
  return createHash('sha256').update(recipe).update(await fileSha256(disk)).digest('hex');
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

async function waitFor(path: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 100 && !existsSync(path); i++) {
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!existsSync(path)) throw new Error(`boot suite: ${what} did not come up`);
}

export function parseReport(console: string): Omit<BootReport, 'cached'> {
  const begin = console.indexOf(REPORT_BEGIN);
  const end = console.indexOf(REPORT_END, begin);
  if (begin < 0 || end < 0) throw new Error(`the boot printed no TPM report; console ends with:\n${console.slice(-3000)}`);
  const report = console.slice(begin, end).replace(/\r/g, '');
  const pcrs: Record<number, string> = {};
  for (const match of report.matchAll(/^PCR (\d+) ([0-9A-Fa-f]{64})$/gm)) pcrs[Number(match[1])] = match[2]!.toLowerCase();
  const log = /EVENT-LOG-BEGIN\n([\s\S]*?)EVENT-LOG-END/.exec(report)?.[1];
  if (Object.keys(pcrs).length !== 24 || !log) throw new Error(`the boot's TPM report is incomplete:\n${report.slice(0, 3000)}`);
  return { pcrs, eventLog: Buffer.from(log.replace(/\s+/g, ''), 'base64') };
}

/** Boots `disk` (or takes the cached boot of the same bytes). */
export async function bootDisk(disk: string): Promise<BootReport> {
  const key = await bootKey(disk);
  const cached = join(BOOTS, `${key}.console.log`);
  if (existsSync(cached)) return { ...parseReport(await readFile(cached, 'utf8')), cached: true };

  const dir = await mkdtemp(join(tmpdir(), 'osimage-boot-'));
  try {
    await copyFile(OVMF_VARS, join(dir, 'vars.fd'));
    const swtpm = spawn('swtpm', [
      'socket', '--tpm2', '--tpmstate', `dir=${dir}`, '--ctrl', `type=unixio,path=${join(dir, 'swtpm.sock')}`,
      '--flags', 'not-need-init', '--terminate',
    ], { stdio: 'ignore' });
    const swtpmExit = exited(swtpm);
    try {
      await waitFor(join(dir, 'swtpm.sock'), swtpm, 'swtpm');
      const qemu = spawn('qemu-system-x86_64', qemuArgs(dir, disk), { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      qemu.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      const timer = setTimeout(() => qemu.kill('SIGKILL'), BOOT_TIMEOUT_MS);
      const code = await exited(qemu).finally(() => clearTimeout(timer));
      const console = await readFile(join(dir, 'console.log'), 'utf8').catch(() => '');
      if (code !== 0) {
        throw new Error(`qemu-system-x86_64 exited ${code ?? 'on a signal (timeout?)'}: ${stderr.trim()}\nconsole ends with:\n${console.slice(-3000)}`);
      }
      const report = parseReport(console);
      await mkdir(BOOTS, { recursive: true });
      await writeFile(`${cached}.partial`, console);
      await rename(`${cached}.partial`, cached);
      return { ...report, cached: false };
    } finally {
      swtpm.kill();
      await swtpmExit;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
