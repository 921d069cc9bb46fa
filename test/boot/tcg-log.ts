/**
 * Parses the firmware's TCG2 event log (TCG PC Client Platform Firmware Profile, crypto-agile format) as Linux exposes
 * it in /sys/kernel/security/tpm0/binary_bios_measurements: the SHA-1 Spec ID header event, then TCG_PCR_EVENT2
 * records with one digest per active bank.
 */
import { createHash } from 'node:crypto';

export interface TcgEvent {
  pcr: number;
  type: string;
  /** The SHA-256 digest extended (the bank osimage predicts). */
  sha256: string;
  /** The event data as text where it is text (UTF-16 or ASCII descriptions), else its size. */
  data: string;
}

const EVENT_TYPES: Record<number, string> = {
  0x1: 'EV_POSTCODE', 0x3: 'EV_NO_ACTION', 0x4: 'EV_SEPARATOR', 0x5: 'EV_ACTION', 0x6: 'EV_EVENT_TAG',
  0x7: 'EV_S_CRTM_CONTENTS', 0x8: 'EV_S_CRTM_VERSION', 0xd: 'EV_IPL', 0x12: 'EV_PLATFORM_CONFIG_FLAGS',
  0x80000001: 'EV_EFI_VARIABLE_DRIVER_CONFIG', 0x80000002: 'EV_EFI_VARIABLE_BOOT', 0x80000003: 'EV_EFI_BOOT_SERVICES_APPLICATION',
  0x80000004: 'EV_EFI_BOOT_SERVICES_DRIVER', 0x80000005: 'EV_EFI_RUNTIME_SERVICES_DRIVER', 0x80000006: 'EV_EFI_GPT_EVENT',
  0x80000007: 'EV_EFI_ACTION', 0x80000008: 'EV_EFI_PLATFORM_FIRMWARE_BLOB', 0x80000009: 'EV_EFI_HANDOFF_TABLES',
  0x8000000a: 'EV_EFI_PLATFORM_FIRMWARE_BLOB2', 0x8000000b: 'EV_EFI_HANDOFF_TABLES2', 0x8000000c: 'EV_EFI_VARIABLE_BOOT2',
  0x800000e0: 'EV_EFI_VARIABLE_AUTHORITY',
};

const TPM_ALG_SHA256 = 0x000b;

function describe(data: Buffer): string {
  const printable = (text: string) => /^[\x20-\x7e\n\t]*$/.test(text);
  const ascii = data.toString('latin1').replace(/\0+$/, '');
  if (ascii.length > 0 && printable(ascii)) return ascii;
  // systemd's EV_IPL and EV_EVENT_TAG events carry UTF-16 descriptions, after an 8-byte tag header for the latter.
  for (const start of [0, 8, 12]) {
    if (data.length <= start + 2 || (data.length - start) % 2 !== 0) continue;
    const utf16 = data.subarray(start).toString('utf16le').replace(/\0+$/, '');
    if (utf16.length > 0 && printable(utf16)) return utf16;
  }
  return `${data.length} bytes`;
}

export function parseTcgLog(log: Buffer): TcgEvent[] {
  let at = 0;
  const need = (bytes: number) => {
    if (at + bytes > log.length) throw new Error(`TCG event log truncated at byte ${at} (needs ${bytes} more of ${log.length})`);
  };
  // The header event (SHA-1 format) carries the digest sizes of the crypto-agile records that follow.
  need(32);
  const headerSize = log.readUInt32LE(28);
  need(32 + headerSize);
  const spec = log.subarray(32, 32 + headerSize);
  if (!spec.toString('latin1', 0, 15).startsWith('Spec ID Event03')) throw new Error('TCG event log: no Spec ID Event03 header (not crypto-agile)');
  const algorithms = spec.readUInt32LE(24);
  const digestSizes = new Map<number, number>();
  for (let i = 0; i < algorithms; i++) digestSizes.set(spec.readUInt16LE(28 + i * 4), spec.readUInt16LE(30 + i * 4));
  at = 32 + headerSize;

  const events: TcgEvent[] = [];
  while (at < log.length) {
    need(12);
    const pcr = log.readUInt32LE(at);
    const typeCode = log.readUInt32LE(at + 4);
    const count = log.readUInt32LE(at + 8);
    at += 12;
    let sha256: string | undefined;
    for (let i = 0; i < count; i++) {
      need(2);
      const algorithm = log.readUInt16LE(at);
      const size = digestSizes.get(algorithm);
      if (size === undefined) throw new Error(`TCG event log: digest of unknown algorithm 0x${algorithm.toString(16)}`);
      need(2 + size);
      if (algorithm === TPM_ALG_SHA256) sha256 = log.toString('hex', at + 2, at + 2 + size);
      at += 2 + size;
    }
    need(4);
    const size = log.readUInt32LE(at);
    need(4 + size);
    const data = log.subarray(at + 4, at + 4 + size);
    at += 4 + size;
    if (sha256 === undefined) throw new Error('TCG event log: an event without a SHA-256 digest (is the sha256 bank active?)');
    events.push({ pcr, type: EVENT_TYPES[typeCode] ?? `0x${typeCode.toString(16)}`, sha256, data: describe(data) });
  }
  return events;
}

/** What the log's extends of `pcr` add up to (EV_NO_ACTION events are never extended). */
export function replay(events: readonly TcgEvent[], pcr: number): string {
  let value = Buffer.alloc(32);
  for (const event of events) {
    if (event.pcr !== pcr || event.type === 'EV_NO_ACTION') continue;
    value = createHash('sha256').update(value).update(Buffer.from(event.sha256, 'hex')).digest();
  }
  return value.toString('hex');
}
