import type { Csp } from '../../discovery/version.js';

/** The published layout (DESIGN.md "Published files"). */
export const tableKey = (uid: string) => `images/${uid}.json`;
export const VERSIONS_KEY = 'images/versions.json';
export const measurementsKey = (csp: Csp, uid: string) => `measurements/${csp}/${uid}/measurements.yaml`;
export const signatureKey = (key: string) => `${key}.sig`;
/** The raw image served by URL (the qemu target). */
export const rawImageKey = (uid: string) => `raw/${uid}/qemu.raw`;
