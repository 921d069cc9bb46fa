import type { MeasureConfig } from '../../config/measure.js';
import type { Measurement, MeasurementsFile } from '../../discovery/measurements-file.js';
import type { Csp } from '../../discovery/version.js';
import { InputError } from '../../pipeline/errors.js';
import { authenticodeSha256 } from './authenticode.js';
import { byteRange, openImage } from './byte-source.js';
import { type EventLog, PcrBank } from './event-log.js';
import { openFat } from './fat.js';
import { findEsp, readGpt } from './gpt.js';
import { measurePcr11, measurePcr4, measurePcr9, type BootStage } from './pcrs.js';
import { KNOWN_STUB_VERSIONS, refuseUnpredictable, stubBehaviour } from './stub-versions.js';
import { parseUki } from './uki.js';

export interface ImageMeasurements {
  file: MeasurementsFile;
  eventLog: EventLog;
}

const ZERO = '0'.repeat(64);

/**
 * Precalculates the PCRs a confidential VM booted from the raw image at `path` reports: reads the GPT, the ESP's FAT
 * and the boot chain (nothing else of the image), and replays what firmware, systemd-stub and the Linux EFI stub
 * extend. Per-cloud overrides from the config come last.
 */
export async function measureImage(path: string, csp: Csp, uid: string, config: MeasureConfig): Promise<ImageMeasurements> {
  const what = `the image ${path}`;
  const image = await openImage(path);
  const stages: BootStage[] = [];
  let ukiBytes: Buffer;
  let espInfo: EventLog['esp'];
  try {
    const esp = findEsp(await readGpt(image, what), what);
    const fat = await openFat(byteRange(image, esp.offset, esp.size, `${what}'s ESP`), `${what}'s ESP (partition ${esp.index})`);
    espInfo = { partition: esp.index, fileSystem: fat.type };
    ukiBytes = Buffer.alloc(0);
    for (const stagePath of config.bootChain) {
      const bytes = await fat.readFile(stagePath);
      stages.push({ path: stagePath, authenticode: authenticodeSha256(bytes, `${stagePath} on the ESP`) });
      ukiBytes = bytes;
    }
  } finally {
    await image.close();
  }
  const ukiPath = config.bootChain.at(-1)!;
  const uki = parseUki(ukiBytes, `${ukiPath} on the ESP`);
  const stubVersion = config.stubVersion ?? uki.stubVersion;
  if (stubVersion === undefined) {
    throw new InputError(
      `${ukiPath} names no systemd-stub version (no "LoaderInfo: systemd-stub N" in a .sdmagic section); is it a UKI?`,
      `set measure.stubVersion to the systemd-stub version it was built with (known: ${KNOWN_STUB_VERSIONS})`,
    );
  }

  refuseUnpredictable(stubVersion, uki.sections.keys(), `${ukiPath} on the ESP`);

  const bank = new PcrBank();
  measurePcr4(bank, stages, uki, config.pcr4IncludesLinux ?? stubBehaviour(stubVersion).kernelViaLoadImage);
  measurePcr9(bank, uki, stubVersion);
  measurePcr11(bank, uki, stubVersion, config.pcr11Phases);

  const measurements: Record<number, Measurement> = {};
  for (const pcr of [4, 9, 11]) measurements[pcr] = { expected: bank.value(pcr), warnOnly: false };
  for (const pcr of config.zeroPcrs) measurements[pcr] = { expected: ZERO, warnOnly: false };
  for (const [pcr, fixed] of Object.entries(config.overrides[csp] ?? {})) measurements[Number(pcr)] = fixed;

  return {
    file: { csp, image: uid, measurements },
    eventLog: {
      csp,
      image: uid,
      stubVersion,
      esp: espInfo,
      bootChain: stages.map((stage) => ({ path: stage.path, authenticode: stage.authenticode.toString('hex') })),
      events: bank.events,
      pcrs: bank.pcrs(),
    },
  };
}
