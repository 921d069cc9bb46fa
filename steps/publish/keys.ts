import type { Csp } from '../../discovery/version.js';
export { MANIFEST_PATH as MANIFEST_KEY } from '../../discovery/manifest.js';

/** The published layout (DESIGN.md "Published files"). */
export const tableKey = (uid: string) => `images/${uid}.json`;
export const VERSIONS_KEY = 'images/versions.json';
export const measurementsKey = (csp: Csp, uid: string) => `measurements/${csp}/${uid}/measurements.yaml`;
export const signatureKey = (key: string) => `${key}.sig`;
