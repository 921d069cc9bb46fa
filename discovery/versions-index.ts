import { DiscoveryError } from './errors.js';
import { isRelease, parseUid, type Version } from './version.js';

/**
 * images/versions.json, the index of published uids: releases newest version first, pseudo versions newest
 * publication first (their version number says little about their age).
 */
export interface VersionsIndex {
  releases: string[];
  pseudo: string[];
}

export class VersionsIndexError extends DiscoveryError {}

export const EMPTY_INDEX: VersionsIndex = { releases: [], pseudo: [] };

/** The index with `uid` added (a no-op when it is there already). */
export function addToIndex(index: VersionsIndex, uid: string): VersionsIndex {
  const { version } = parseUid(uid);
  if (isRelease(version)) {
    if (index.releases.includes(uid)) return index;
    const releases = [...index.releases, uid].sort((a, b) => compareVersions(parseUid(b).version, parseUid(a).version));
    return { ...index, releases };
  }
  return { ...index, pseudo: [uid, ...index.pseudo.filter((other) => other !== uid)] };
}

/** The index without `uid` (the same object when it is not there). */
export function removeFromIndex(index: VersionsIndex, uid: string): VersionsIndex {
  if (!index.releases.includes(uid) && !index.pseudo.includes(uid)) return index;
  return { releases: index.releases.filter((other) => other !== uid), pseudo: index.pseudo.filter((other) => other !== uid) };
}

export function parseVersionsIndex(text: string): VersionsIndex {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new VersionsIndexError('versions.json is not JSON');
  }
  const { releases, pseudo, ...rest } = (doc ?? {}) as Record<string, unknown>;
  const isUidList = (value: unknown): value is string[] =>
    Array.isArray(value) && value.every((uid) => typeof uid === 'string' && isUid(uid));
  if (typeof doc !== 'object' || Array.isArray(doc) || Object.keys(rest).length > 0 || !isUidList(releases) || !isUidList(pseudo)) {
    throw new VersionsIndexError('versions.json must be { "releases": [uid, …], "pseudo": [uid, …] }');
  }
  return { releases, pseudo };
}

export function formatVersionsIndex(index: VersionsIndex): string {
  return `${JSON.stringify(index, null, 2)}\n`;
}

function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

function isUid(text: string): boolean {
  try {
    parseUid(text);
    return true;
  } catch {
    return false;
  }
}
