/**
 * Compares what `osimage measure` claims with what a boot's TPM reports, PCR by PCR; for a PCR that differs it lines
 * up osimage's predicted extends with the firmware event log's, so the first differing extend names the culprit.
 */
import type { ImageMeasurements } from '../../steps/measure/measure-image.js';
import type { BootReport } from './qemu-boot.js';
import { parseTcgLog, replay, type TcgEvent } from './tcg-log.js';

export interface PcrMismatch {
  pcr: number;
  claimed: string;
  booted: string;
  /** osimage's extends of this PCR beside the event log's, one line per extend, the first difference marked. */
  explanation: string;
}

function explain(pcr: number, measured: ImageMeasurements, logged: readonly TcgEvent[]): string {
  const predicted = measured.eventLog.events.filter((event) => event.pcr === pcr);
  const booted = logged.filter((event) => event.pcr === pcr && event.type !== 'EV_NO_ACTION');
  const lines = [`PCR ${pcr}: extend by extend (osimage | boot event log)`];
  let marked = false;
  for (let i = 0; i < Math.max(predicted.length, booted.length); i++) {
    const ours = predicted[i];
    const theirs = booted[i];
    const same = ours && theirs && ours.digest === theirs.sha256;
    const marker = !same && !marked ? '>>' : '  ';
    if (!same) marked = true;
    lines.push(`${marker} #${i} osimage: ${ours ? `${ours.digest} ${ours.type} ${ours.description}` : '(none)'}`);
    lines.push(`${marker}    boot:    ${theirs ? `${theirs.sha256} ${theirs.type} ${JSON.stringify(theirs.data.slice(0, 120))}` : '(none)'}`);
  }
  return lines.join('\n');
}

/** Every PCR osimage claims whose value the boot does not show (none: the measurements are true for this boot). */
export function compareWithBoot(measured: ImageMeasurements, boot: BootReport): PcrMismatch[] {
  const logged = parseTcgLog(boot.eventLog);
  const mismatches: PcrMismatch[] = [];
  for (const [key, { expected }] of Object.entries(measured.file.measurements)) {
    const pcr = Number(key);
    const booted = boot.pcrs[pcr];
    if (booted === undefined) throw new Error(`the boot reported no PCR ${pcr}`);
    if (booted === expected) continue;
    mismatches.push({ pcr, claimed: expected, booted, explanation: explain(pcr, measured, logged) });
  }
  return mismatches;
}

/** Sanity check of the harness itself: the event log must replay to the PCRs the TPM reports. */
export function logMatchesTpm(boot: BootReport, pcrs: readonly number[]): string[] {
  const logged = parseTcgLog(boot.eventLog);
  return pcrs.filter((pcr) => replay(logged, pcr) !== boot.pcrs[pcr]).map((pcr) => `PCR ${pcr}: log replays to ${replay(logged, pcr)}, TPM says ${boot.pcrs[pcr]}`);
}

export function formatMismatches(mismatches: readonly PcrMismatch[]): string {
  return mismatches.map((m) => `PCR ${m.pcr}: osimage claims ${m.claimed}, the boot shows ${m.booted}\n${m.explanation}`).join('\n\n');
}
