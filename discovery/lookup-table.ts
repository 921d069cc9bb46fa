import { DiscoveryError } from './errors.js';
import { urlProblem, type AllowedScheme } from './url-policy.js';
import { CSPS } from './version.js';

/** The lookup table (DESIGN.md): uid → every cloud's image reference. Keys are absent for clouds not built. */
export interface LookupTable {
  aws?: Record<string, string>;
  azure?: { cvm?: string; trustedlaunch?: string };
  gcp?: Record<string, string>;
  qemu?: string;
}

export const AZURE_SECURITY_TYPES = ['cvm', 'trustedlaunch'] as const;
export const GCP_SECURITY_TYPES = ['sev-es', 'sev-snp'] as const;

/** Far above any real table (a few hundred bytes per cloud); a bigger one is an attack or an accident. */
export const MAX_LOOKUP_TABLE_BYTES = 64 * 1024;

/** A table that is not one: exit 1, since the fault is with whoever published it, not with the request. */
export class LookupTableError extends DiscoveryError {}

const AWS_REGION = /^[a-z]{2}(?:-[a-z]+){1,2}-\d{1,2}$/;
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;
const AZURE_SEGMENT = '[A-Za-z0-9][A-Za-z0-9._()-]{0,127}';
/** A gallery image version (own, community or shared gallery) or a managed image. */
const AZURE_IMAGE_ID = new RegExp(
  '^/(?:' +
    `subscriptions/[0-9a-fA-F-]{36}/resourceGroups/${AZURE_SEGMENT}/providers/Microsoft\\.Compute/` +
    `(?:galleries/${AZURE_SEGMENT}/images/${AZURE_SEGMENT}/versions/${AZURE_SEGMENT}|images/${AZURE_SEGMENT})` +
    `|(?:CommunityGalleries|SharedGalleries)/${AZURE_SEGMENT}/Images/${AZURE_SEGMENT}/Versions/${AZURE_SEGMENT}` +
    ')$',
  'i',
);
/** projects/<project>/global/images/<name>; a project id may carry a domain prefix (example.com:project). */
const GCP_IMAGE_ID = /^projects\/(?:[a-z][a-z0-9.-]{0,62}:)?[a-z][a-z0-9-]{4,28}[a-z0-9]\/global\/images\/[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

export interface ParseLookupTableOptions {
  /** Schemes besides https that the table's URLs may use: `file:` for a table read from a local store. */
  allow?: readonly AllowedScheme[];
}

/**
 * Parses and checks a lookup table strictly: every key is known, every value has the shape of its cloud's reference.
 * Anything else is an error naming what is wrong, so a consumer never acts on a reference nobody meant to publish.
 */
export function parseLookupTable(text: string | Uint8Array, options: ParseLookupTableOptions = {}): LookupTable {
  const size = typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength;
  if (size > MAX_LOOKUP_TABLE_BYTES) {
    throw new LookupTableError(`lookup table is ${size} bytes, more than the ${MAX_LOOKUP_TABLE_BYTES} a table may have`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  } catch (error) {
    throw new LookupTableError(`lookup table is not JSON: ${(error as Error).message}`);
  }
  const fail = (what: string): never => {
    throw new LookupTableError(`lookup table: ${what}`);
  };
  const entries = (value: unknown, where: string): Array<[string, unknown]> => {
    if (!isPlainObject(value)) fail(`${where} must be an object`);
    const list = Object.entries(value as object);
    if (list.length === 0) fail(`${where} is empty (a cloud that was not built has no key at all)`);
    return list;
  };
  const checkKeys = (list: Array<[string, unknown]>, where: string, allowed: readonly string[]): void => {
    const unexpected = list.map(([key]) => key).filter((key) => !allowed.includes(key));
    if (unexpected.length > 0) fail(`unexpected keys under ${where}: ${unexpected.map(quote).join(', ')} (expected ${allowed.join(', ')})`);
  };
  const checkString = (value: unknown, where: string, shape: RegExp, expected: string): string => {
    if (typeof value !== 'string') return fail(`${where} must be a string, not ${describe(value)}`);
    if (!shape.test(value)) fail(`${where} is ${quote(value)}, expected ${expected}`);
    return value;
  };

  if (!isPlainObject(doc)) fail(`expected an object with keys among ${CSPS.join(', ')}, not ${describe(doc)}`);
  const top = Object.entries(doc as object);
  checkKeys(top, 'the top level', CSPS);
  const table: LookupTable = {};
  for (const [csp, value] of top) {
    switch (csp) {
      case 'aws': {
        const list = entries(value, 'aws');
        for (const [region] of list) if (!AWS_REGION.test(region)) fail(`unexpected key under aws: ${quote(region)} is not an AWS region name`);
        table.aws = Object.fromEntries(list.map(([region, id]) => [region, checkString(id, `aws.${region}`, AMI_ID, 'an AMI id (ami-<8 to 17 hex digits>)')]));
        break;
      }
      case 'azure': {
        const list = entries(value, 'azure');
        checkKeys(list, 'azure', AZURE_SECURITY_TYPES);
        table.azure = Object.fromEntries(
          list.map(([type, id]) => [type, checkString(id, `azure.${type}`, AZURE_IMAGE_ID, 'an Azure image id (/subscriptions/…/galleries/…/images/…/versions/… or /CommunityGalleries/…/Images/…/Versions/…)')]),
        );
        break;
      }
      case 'gcp': {
        const list = entries(value, 'gcp');
        checkKeys(list, 'gcp', GCP_SECURITY_TYPES);
        table.gcp = Object.fromEntries(list.map(([type, id]) => [type, checkString(id, `gcp.${type}`, GCP_IMAGE_ID, 'projects/<project>/global/images/<name>')]));
        break;
      }
      case 'qemu': {
        if (typeof value !== 'string') fail(`qemu must be a URL string, not ${describe(value)}`);
        const problem = urlProblem(value as string, options.allow);
        if (problem) fail(`the qemu URL ${quote(value as string)} ${problem}`);
        table.qemu = value as string;
        break;
      }
    }
  }
  return table;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Quotes a value from the table for an error message, shortened, so a hostile table cannot flood the terminal. */
function quote(value: string): string {
  const short = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return JSON.stringify(short);
}
