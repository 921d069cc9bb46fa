import { InputError } from '../../pipeline/errors.js';
import { parsePe, sectionContent, type PeImage } from './pe.js';

/**
 * The UKI sections systemd-stub measures into PCR 11, in the stub's canonical order (its unified_sections table,
 * less .pcrsig, which it never measures). The list changed between versions, so a version we do not know is an
 * error rather than a guess.
 */
const MEASURED_SECTIONS: ReadonlyArray<{ versions: [number, number]; sections: readonly string[] }> = [
  { versions: [252, 252], sections: ['.linux', '.osrel', '.cmdline', '.initrd', '.splash', '.dtb', '.pcrpkey'] },
  {
    versions: [253, 256],
    sections: ['.linux', '.osrel', '.cmdline', '.initrd', '.splash', '.dtb', '.uname', '.sbat', '.pcrpkey'],
  },
];

export const KNOWN_STUB_VERSIONS = MEASURED_SECTIONS.map(({ versions: [from, to] }) => (from === to ? `${from}` : `${from}-${to}`)).join(', ');

export function measuredSections(stubVersion: number): readonly string[] {
  const entry = MEASURED_SECTIONS.find(({ versions: [from, to] }) => stubVersion >= from && stubVersion <= to);
  if (!entry) {
    throw new InputError(
      `systemd-stub ${stubVersion} is not a version osimage knows how to measure (known: ${KNOWN_STUB_VERSIONS})`,
      'its PCR 11 section list must be added to steps/measure/uki.ts; measure.stubVersion only helps when .sdmagic is wrong',
    );
  }
  return entry.sections;
}

export interface Uki {
  pe: PeImage;
  /** The major version .sdmagic names ("#### LoaderInfo: systemd-stub 252.39-1~deb12u2 ####"), if any. */
  stubVersion?: number;
  /** Section name → content as loaded (VirtualSize bytes). The first section of a name wins, as in systemd-stub. */
  sections: Map<string, Buffer>;
}

export function parseUki(data: Uint8Array, what: string): Uki {
  const pe = parsePe(data, what);
  const sections = new Map<string, Buffer>();
  for (const section of pe.sections) {
    if (!sections.has(section.name)) sections.set(section.name, sectionContent(data, section));
  }
  const magic = sections.get('.sdmagic')?.toString('latin1');
  const version = magic && /LoaderInfo: systemd-stub (\d+)/.exec(magic)?.[1];
  return { pe, stubVersion: version ? Number(version) : undefined, sections };
}
