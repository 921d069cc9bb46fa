/**
 * Small bootable disks for the boot-truth suite: a GPT with an ESP (made by Debian's sgdisk, mkfs.vfat and mtools,
 * independently of osimage's readers) holding a UKI of a given systemd-stub, a Debian kernel and the reporting
 * initrd; optionally systemd-boot in front of it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDisk } from '../measure-fixtures.js';
import { kernel, systemdBootEfi, ukify, type Suite } from './debian-parts.js';
import { buildReportingInitrd } from './initrd.js';
import { objcopyUki, ukifyUki, type UkiInputs } from './uki-layouts.js';

/** Quick and quiet: the serial console only, no reboot on panic (QEMU's -no-reboot then exits). */
export const BOOT_CMDLINE = 'console=ttyS0 quiet panic=-1';
/** The Debian suite whose kernel every boot uses: new enough to measure its command line into PCR 9. */
export const KERNEL_SUITE: Suite = 'trixie';

export interface BootImageOptions {
  /** Where the stub (systemd-boot-efi) comes from. */
  stubSuite: Suite;
  layout: 'objcopy' | 'ukify';
  /** The .cmdline section's bytes. */
  cmdline?: string;
  /** Extra objcopy sections (name → file) or ukify arguments. */
  objcopySections?: Record<string, string>;
  ukifyArgs?: string[];
  /** Put systemd-boot (from the stub's suite) at the removable path and the UKI under EFI/Linux/. */
  systemdBoot?: boolean;
}

export interface BootImage {
  disk: string;
  /** measure.bootChain for this disk. */
  bootChain: string[];
  stubVersion: string;
}

export async function ukiInputs(dir: string, stubSuite: Suite, cmdline: string): Promise<UkiInputs> {
  const { stub } = await systemdBootEfi(stubSuite);
  const inputs = {
    stub,
    linux: await kernel(KERNEL_SUITE),
    initrd: await buildReportingInitrd(join(dir, 'initrd.cpio')),
    cmdline: join(dir, 'cmdline'),
    osrel: join(dir, 'os-release'),
  };
  await writeFile(inputs.cmdline, cmdline);
  await writeFile(inputs.osrel, 'ID=debian\nVERSION_ID="13"\nPRETTY_NAME="osimage boot suite"\n');
  return inputs;
}

export async function buildBootImage(dir: string, options: BootImageOptions): Promise<BootImage> {
  const parts = await systemdBootEfi(options.stubSuite);
  const inputs = await ukiInputs(dir, options.stubSuite, options.cmdline ?? BOOT_CMDLINE);
  const uki = join(dir, 'uki.efi');
  if (options.layout === 'objcopy') await objcopyUki(uki, inputs, options.objcopySections);
  else await ukifyUki(uki, inputs, { ukify: await ukify('trixie'), args: options.ukifyArgs });

  const files: Record<string, string> = {};
  let bootChain: string[];
  if (options.systemdBoot) {
    bootChain = ['EFI/BOOT/BOOTX64.EFI', 'EFI/Linux/osimage.efi'];
    files[bootChain[0]!] = parts.systemdBoot;
    files[bootChain[1]!] = uki;
    // No menu, no timeout: systemd-boot boots its only entry (the Type #2 UKI) at once.
    const loaderConf = join(dir, 'loader.conf');
    await writeFile(loaderConf, 'timeout 0\n');
    files['loader/loader.conf'] = loaderConf;
  } else {
    bootChain = ['EFI/BOOT/BOOTX64.EFI'];
    files[bootChain[0]] = uki;
  }
  const disk = await buildDisk(dir, { fat: 32, espMiB: 40, files });
  return { disk, bootChain, stubVersion: parts.version };
}
