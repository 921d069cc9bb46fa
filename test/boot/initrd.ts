/**
 * The boot suite's initrd: busybox-static and an /init that prints what the TPM holds on the serial console, between
 * markers the harness looks for, then powers off. Nothing else runs, so a boot takes seconds after the kernel starts.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const BUSYBOX = '/bin/busybox';
export const REPORT_BEGIN = 'OSIMAGE-BOOT-REPORT-BEGIN';
export const REPORT_END = 'OSIMAGE-BOOT-REPORT-END';

/** Every PCR of the SHA-256 bank as "PCR <n> <hex>", then the firmware event log, base64 between markers. */
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t securityfs securityfs /sys/kernel/security
echo ${REPORT_BEGIN}
for f in /sys/class/tpm/tpm0/pcr-sha256/*; do echo "PCR \${f##*/} $(cat "$f")"; done
echo EVENT-LOG-BEGIN
cat /sys/kernel/security/tpm0/binary_bios_measurements | base64
echo EVENT-LOG-END
echo ${REPORT_END}
poweroff -f
`;

/** Writes the initrd (an uncompressed newc cpio) to `path`. */
export async function buildReportingInitrd(path: string): Promise<string> {
  const root = `${path}.root`;
  await rm(root, { recursive: true, force: true });
  for (const dir of ['bin', 'dev', 'proc', 'sys']) await mkdir(join(root, dir), { recursive: true });
  await copyFile(BUSYBOX, join(root, 'bin/busybox'));
  await writeFile(join(root, 'init'), INIT);
  await chmod(join(root, 'init'), 0o755);
  // Sorted names and a fixed mtime make the archive, and so the disk and its cached boot, reproducible.
  await run('sh', ['-c', `cd "$1" && find . -exec touch -h -d @0 {} + && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible > "$2"`, 'sh', root, path]);
  await rm(root, { recursive: true, force: true });
  return path;
}
