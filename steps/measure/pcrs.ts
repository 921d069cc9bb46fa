import { InputError } from '../../pipeline/errors.js';
import { authenticodeSha256 } from './authenticode.js';
import type { PcrBank } from './event-log.js';
import { measuredSections, type Uki } from './uki.js';

export interface BootStage {
  path: string;
  authenticode: Buffer;
}

/**
 * PCR 4 as UEFI firmware extends it (TCG PC Client Platform Firmware Profile): the boot manager's EV_EFI_ACTION, the
 * separator between pre-boot and boot, then the Authenticode digest of every image it loads: each boot stage and,
 * when systemd-stub starts the kernel with LoadImage, the UKI's .linux section.
 */
export function measurePcr4(bank: PcrBank, stages: BootStage[], uki: Uki, includeLinux: boolean): void {
  bank.measure(4, Buffer.from('Calling EFI Application from Boot Option'), 'EV_EFI_ACTION', 'firmware boot manager: "Calling EFI Application from Boot Option"');
  bank.measure(4, Buffer.alloc(4), 'EV_SEPARATOR', 'firmware: separator between pre-boot and boot');
  for (const stage of stages) {
    bank.extend(4, stage.authenticode, 'EV_EFI_BOOT_SERVICES_APPLICATION', `firmware LoadImage: Authenticode of ${stage.path}`);
  }
  if (includeLinux) {
    const linux = uki.sections.get('.linux');
    if (!linux) throw new InputError('the UKI has no .linux section', 'a UKI carries the kernel in .linux; or set measure.pcr4IncludesLinux: false');
    bank.extend(4, authenticodeSha256(linux, 'the UKI\'s .linux section'), 'EV_EFI_BOOT_SERVICES_APPLICATION', 'firmware LoadImage (from systemd-stub): Authenticode of the UKI\'s .linux kernel');
  }
}

/**
 * PCR 9 as the Linux EFI stub extends it: the command line it receives as LoadOptions (systemd-stub passes the
 * .cmdline section as UTF-16LE with its NUL terminator), then the initrd it loads through LoadFile2.
 */
export function measurePcr9(bank: PcrBank, uki: Uki): void {
  const cmdline = uki.sections.get('.cmdline');
  if (cmdline) {
    const text = cmdline.toString('utf8').replace(/\0[\s\S]*$/, '');
    bank.measure(9, Buffer.from(`${text}\0`, 'utf16le'), 'EV_EVENT_TAG', `Linux EFI stub: LoadOptions (kernel command line "${text}" as UTF-16LE)`);
  }
  const initrd = uki.sections.get('.initrd');
  if (initrd) bank.measure(9, initrd, 'EV_EVENT_TAG', `Linux EFI stub: initrd (${initrd.length} bytes)`);
}

/**
 * PCR 11 as systemd-stub extends it: for every measured UKI section present, in canonical order, the section name
 * with its NUL, then its content. Then the boot phases systemd-pcrphase extends, when configured.
 */
export function measurePcr11(bank: PcrBank, uki: Uki, stubVersion: number, phases: readonly string[]): void {
  for (const name of measuredSections(stubVersion)) {
    const content = uki.sections.get(name);
    if (!content) continue;
    bank.measure(11, Buffer.from(`${name}\0`, 'latin1'), 'EV_IPL', `systemd-stub ${stubVersion}: section name ${name}`);
    bank.measure(11, content, 'EV_IPL', `systemd-stub ${stubVersion}: section ${name} (${content.length} bytes)`);
  }
  for (const phase of phases) bank.measure(11, Buffer.from(phase), 'EV_IPL', `systemd-pcrphase: boot phase "${phase}"`);
}
