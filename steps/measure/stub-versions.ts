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
  /** Sections the stub then appends as generated cpio archives (stub-cpio.ts), each as /.extra/<file>, in order. */
  generatedInitrds: ReadonlyArray<{ section: string; file: string }>;
  /** The stub starts the kernel with the firmware's LoadImage, which measures .linux into PCR 4. */
  kernelViaLoadImage: boolean;
  /** Sections this stub acts on in ways osimage cannot predict from the image alone: such a UKI is refused. */
  unpredictable: Readonly<Record<string, string>>;
}

const PCR_POLICY_FILES = [
  { section: '.pcrsig', file: 'tpm2-pcr-signature.json' },
  { section: '.pcrpkey', file: 'tpm2-pcr-public-key.pem' },
];
// 257 also hands the initrd the UKI's os-release (the boot-truth suite found /.extra/os-release in a 257 boot).
const POLICY_FILES_AND_OS_RELEASE = [...PCR_POLICY_FILES, { section: '.osrel', file: 'os-release' }];

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
    generatedInitrds: PCR_POLICY_FILES,
    kernelViaLoadImage: true,
    unpredictable: {},
  },
  {
    // 253 added .uname and .sbat to the measured sections.
    versions: [253, 255],
    pcr11Sections: [...BEFORE_UCODE, '.splash', '.dtb', '.uname', '.sbat', '.pcrpkey'],
    initrdSections: ['.initrd'],
    generatedInitrds: PCR_POLICY_FILES,
    kernelViaLoadImage: true,
    unpredictable: {},
  },
  {
    // 256 added .ucode, an initrd placed before the main one (early microcode must come first).
    versions: [256, 256],
    pcr11Sections: [...BEFORE_UCODE, '.ucode', '.splash', '.dtb', '.uname', '.sbat', '.pcrpkey'],
    initrdSections: ['.ucode', '.initrd'],
    generatedInitrds: PCR_POLICY_FILES,
    kernelViaLoadImage: true,
    unpredictable: {},
  },
  {
    // 257 added multi-profile UKIs and hardware-selected device trees.
    versions: [257, 257],
    pcr11Sections: [...BEFORE_UCODE, '.ucode', '.splash', '.dtb', '.uname', '.sbat', '.pcrpkey', '.profile', '.dtbauto', '.hwids'],
    initrdSections: ['.ucode', '.initrd'],
    generatedInitrds: POLICY_FILES_AND_OS_RELEASE,
    kernelViaLoadImage: true,
    unpredictable: { ...PROFILES, ...SELECTED_BY_HARDWARE },
  },
  {
    // 258 added .efifw. 262 (Debian forky) no longer starts the kernel with the firmware's LoadImage, so PCR 4 ends
    // with the UKI. 258-261 are left out: no Debian suite carries them to prove them by a boot.
    versions: [262, 262],
    pcr11Sections: [...BEFORE_UCODE, '.ucode', '.splash', '.dtb', '.uname', '.sbat', '.pcrpkey', '.profile', '.dtbauto', '.hwids', '.efifw'],
    initrdSections: ['.ucode', '.initrd'],
    generatedInitrds: POLICY_FILES_AND_OS_RELEASE,
    kernelViaLoadImage: false,
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
