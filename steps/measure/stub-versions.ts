import { InputError } from '../../pipeline/errors.js';

/**
 * What each systemd-stub version measures and hands the kernel, from the stub's source (its unified_sections table
 * and initrd assembly) and proven by the boot-truth suite (test/boot/) for the versions Debian ships.
 */
export interface StubBehaviour {
  versions: [number, number];
  /** The sections measured into PCR 11 (name, then content), in the stub's canonical order. */
  pcr11Sections: readonly string[];
  /** The UKI sections the stub concatenates into the initrd the kernel loads, in order (the kernel measures it into PCR 9). */
  initrdSections: readonly string[];
  /** Sections this stub acts on in ways osimage cannot predict from the image alone: such a UKI is refused. */
  unpredictable: Readonly<Record<string, string>>;
}

const BEFORE_UCODE = ['.linux', '.osrel', '.cmdline', '.initrd'];
const SELECTED_BY_HARDWARE = {
  '.dtbauto': 'the stub picks a .dtbauto device tree by the machine\'s firmware-reported hardware IDs',
  '.hwids': 'the stub matches .hwids against the machine\'s SMBIOS data',
};
const PROFILES = {
  '.profile': 'multi-profile UKIs are not measured yet: osimage cannot tell which profile a boot selects',
};

const STUBS: readonly StubBehaviour[] = [
  {
    versions: [252, 252],
    pcr11Sections: [...BEFORE_UCODE, '.splash', '.dtb', '.pcrpkey'],
    initrdSections: ['.initrd'],
    unpredictable: {},
  },
  {
    // 253 added .uname and .sbat to the measured sections.
    versions: [253, 255],
    pcr11Sections: [...BEFORE_UCODE, '.splash', '.dtb', '.uname', '.sbat', '.pcrpkey'],
    initrdSections: ['.initrd'],
    unpredictable: {},
  },
  {
    // 256 added .ucode, an initrd placed before the main one (early microcode must come first).
    versions: [256, 256],
    pcr11Sections: [...BEFORE_UCODE, '.ucode', '.splash', '.dtb', '.uname', '.sbat', '.pcrpkey'],
    initrdSections: ['.ucode', '.initrd'],
    unpredictable: {},
  },
  {
    // 257 added multi-profile UKIs and hardware-selected device trees.
    versions: [257, 257],
    pcr11Sections: [...BEFORE_UCODE, '.ucode', '.splash', '.dtb', '.uname', '.sbat', '.pcrpkey', '.profile', '.dtbauto', '.hwids'],
    initrdSections: ['.ucode', '.initrd'],
    unpredictable: { ...PROFILES, ...SELECTED_BY_HARDWARE },
  },
  {
    // 258 added .efifw, firmware images the stub installs for the guest.
    versions: [258, 262],
    pcr11Sections: [...BEFORE_UCODE, '.ucode', '.splash', '.dtb', '.uname', '.sbat', '.pcrpkey', '.profile', '.dtbauto', '.hwids', '.efifw'],
    initrdSections: ['.ucode', '.initrd'],
    unpredictable: { ...PROFILES, ...SELECTED_BY_HARDWARE, '.efifw': 'the stub loads .efifw firmware depending on the machine' },
  },
];

export const KNOWN_STUB_VERSIONS = STUBS.map(({ versions: [from, to] }) => (from === to ? `${from}` : `${from}-${to}`)).join(', ');

export function stubBehaviour(stubVersion: number): StubBehaviour {
  const entry = STUBS.find(({ versions: [from, to] }) => stubVersion >= from && stubVersion <= to);
  if (!entry) {
    throw new InputError(
      `systemd-stub ${stubVersion} is not a version osimage knows how to measure (known: ${KNOWN_STUB_VERSIONS})`,
      'its behaviour must be added to steps/measure/stub-versions.ts and proven by the boot suite; measure.stubVersion only helps when .sdmagic is wrong',
    );
  }
  return entry;
}

/** Refuses a UKI with a section this stub acts on unpredictably, naming the section and why. */
export function refuseUnpredictable(stubVersion: number, sections: Iterable<string>, what: string): void {
  const { unpredictable } = stubBehaviour(stubVersion);
  for (const name of sections) {
    const why = unpredictable[name];
    if (why) {
      throw new InputError(
        `${what} has a ${name} section, which systemd-stub ${stubVersion} measures but osimage cannot predict: ${why}`,
        `build the UKI without ${name}`,
      );
    }
  }
}
