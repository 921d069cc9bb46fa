import { z } from 'zod';

const pcrIndex = z.int().min(0).max(23);
const pcrKey = z.string().regex(/^(?:[0-9]|1[0-9]|2[0-3])$/, 'expected a PCR index 0-23');

/** A fixed expected value, as Constellation ships firmware PCRs per cloud. */
const fixedMeasurement = z.strictObject({
  expected: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits (a SHA-256 PCR value)'),
  warnOnly: z.boolean().default(false).describe('a mismatch only warns (for firmware values a cloud may change)'),
});

/**
 * How the measure stage precalculates PCRs from a raw image (Constellation's measured-boot precalculation). The
 * defaults fit a UKI booted directly by firmware from the removable-media path.
 */
export const measureConfig = z.strictObject({
  bootChain: z
    .array(z.string().regex(/^[^\\]+$/, 'use / between path parts'))
    .min(1)
    .default(['EFI/BOOT/BOOTX64.EFI'])
    .describe('the PE images firmware loads, in order, as paths on the ESP; the last one is the UKI (e.g. shim, systemd-boot, UKI)'),
  stubVersion: z
    .int()
    .min(1)
    .optional()
    .describe("systemd-stub's major version, when the UKI's .sdmagic section does not name it (or names it wrongly)"),
  pcr4IncludesLinux: z
    .boolean()
    .optional()
    .describe("PCR 4 also holds the Authenticode digest of the UKI's .linux section; default: as the stub version does (systemd-stub up to 257 starts the kernel with LoadImage, 262 does not)"),
  pcr11Phases: z
    .array(z.string().regex(/^[a-z0-9-]+$/))
    .default([])
    .describe('boot phases systemd-pcrphase extends into PCR 11 before attestation, e.g. [enter-initrd]'),
  zeroPcrs: z.array(pcrIndex).default([8, 12, 13, 15]).describe('PCRs expected to stay all zeros'),
  overrides: z
    .partialRecord(z.enum(['aws', 'azure', 'gcp', 'qemu']), z.record(pcrKey, fixedMeasurement))
    .default({})
    .describe('per cloud: fixed values (firmware PCRs 0-7) that replace or add to the computed ones'),
});

export type MeasureConfig = z.infer<typeof measureConfig>;
export type MeasureConfigInput = z.input<typeof measureConfig>;
