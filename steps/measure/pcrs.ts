import { InputError } from '../../pipeline/errors.js';
import { authenticodeSha256 } from './authenticode.js';
import type { PcrBank } from './event-log.js';
import { stubCpio } from './stub-cpio.js';
import { stubBehaviour } from './stub-versions.js';
import type { Uki } from './uki.js';

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
 * The command line systemd-stub hands the kernel for the .cmdline section (its mangle_stub_cmdline()): the text up to
 * the first NUL, control characters (a trailing newline, say) turned into spaces, trailing spaces cut.
 */
export function stubCommandLine(section: Buffer): string {
  return section.toString('utf8').replace(/\0[\s\S]*$/, '').replace(/[\x00-\x1f]/g, ' ').replace(/ +$/, '');
}

/** The initrd systemd-stub hands the kernel: its initrd sections, then the archives it generates, each padded to 4 bytes. */
export function stubInitrd(uki: Uki, stubVersion: number): Buffer | undefined {
  const behaviour = stubBehaviour(stubVersion);
  const parts: Buffer[] = [];
  for (const name of behaviour.initrdSections) {
    const section = uki.sections.get(name);
    if (section && section.length > 0) parts.push(section);
  }
  for (const { section, file } of behaviour.generatedInitrds) {
    const content = uki.sections.get(section);
    if (content && content.length > 0) parts.push(stubCpio(file, content));
  }
  if (parts.length <= 1) return parts[0];
  return Buffer.concat(parts.flatMap((part) => [part, Buffer.alloc((4 - (part.length % 4)) % 4)]));
}

/**
 * PCR 9 as the Linux EFI stub extends it: the command line it receives as LoadOptions (UTF-16LE with its NUL
 * terminator), then the initrd it loads through LoadFile2.
 */
export function measurePcr9(bank: PcrBank, uki: Uki, stubVersion: number): void {
  const cmdline = uki.sections.get('.cmdline');
  if (cmdline) {
    const text = stubCommandLine(cmdline);
    bank.measure(9, Buffer.from(`${text}\0`, 'utf16le'), 'EV_EVENT_TAG', `Linux EFI stub: LoadOptions (kernel command line ${JSON.stringify(text)} as UTF-16LE)`);
  }
  const initrd = stubInitrd(uki, stubVersion);
  if (initrd) bank.measure(9, initrd, 'EV_EVENT_TAG', `Linux EFI stub: initrd from systemd-stub ${stubVersion} (${initrd.length} bytes)`);
}

/**
 * PCR 11 as systemd-stub extends it: for every measured UKI section present, in canonical order, the section name
 * with its NUL, then its content. Then the boot phases systemd-pcrphase extends, when configured.
 */
export function measurePcr11(bank: PcrBank, uki: Uki, stubVersion: number, phases: readonly string[]): void {
  for (const name of stubBehaviour(stubVersion).pcr11Sections) {
    const content = uki.sections.get(name);
    if (!content) continue;
    bank.measure(11, Buffer.from(`${name}\0`, 'latin1'), 'EV_IPL', `systemd-stub ${stubVersion}: section name ${name}`);
    bank.measure(11, content, 'EV_IPL', `systemd-stub ${stubVersion}: section ${name} (${content.length} bytes)`);
  }
  for (const phase of phases) bank.measure(11, Buffer.from(phase), 'EV_IPL', `systemd-pcrphase: boot phase "${phase}"`);
}
