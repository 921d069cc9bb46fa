import { parsePe, sectionContent, type PeImage } from './pe.js';

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
