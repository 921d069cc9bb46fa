import { z } from 'zod';

/** QEMU has no cloud: the raw image is published to the store and served by URL. */
export const qemuConfig = z.strictObject({}).describe('publish the raw image under raw/<uid>/qemu.raw');

export type QemuConfig = z.infer<typeof qemuConfig>;
