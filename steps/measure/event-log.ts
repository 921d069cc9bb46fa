import { createHash } from 'node:crypto';

/** One extend of a PCR, and why: what the event log JSON beside measurements.yaml lists. */
export interface PcrEvent {
  pcr: number;
  /** The TCG event type (or the measuring component's tag) that the real boot logs. */
  type: string;
  /** Who measures what, in words. */
  description: string;
  /** The SHA-256 digest extended into the PCR. */
  digest: string;
}

export interface EventLog {
  csp: string;
  image: string;
  stubVersion: number;
  /** Where the boot chain was read from: the GPT partition number of the ESP and its file system. */
  esp: { partition: number; fileSystem: string };
  bootChain: Array<{ path: string; authenticode: string }>;
  events: PcrEvent[];
  /** The final value of every PCR the log touches. */
  pcrs: Record<number, string>;
}

/** A SHA-256 PCR bank as the TPM keeps it: PCR = SHA-256(PCR || digest), starting from zeros. */
export class PcrBank {
  readonly events: PcrEvent[] = [];
  private readonly values = new Map<number, Buffer>();

  extend(pcr: number, digest: Buffer, type: string, description: string): void {
    const current = this.values.get(pcr) ?? Buffer.alloc(32);
    this.values.set(pcr, createHash('sha256').update(current).update(digest).digest());
    this.events.push({ pcr, type, description, digest: digest.toString('hex') });
  }

  /** Extends the SHA-256 of `data`, as a measuring component does. */
  measure(pcr: number, data: Uint8Array, type: string, description: string): void {
    this.extend(pcr, sha256(data), type, description);
  }

  value(pcr: number): string {
    return (this.values.get(pcr) ?? Buffer.alloc(32)).toString('hex');
  }

  pcrs(): Record<number, string> {
    return Object.fromEntries([...this.values.keys()].sort((a, b) => a - b).map((pcr) => [pcr, this.value(pcr)]));
  }
}

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}
