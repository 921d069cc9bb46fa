import { DiscoveryInputError } from './errors.js';
import { AZURE_SECURITY_TYPES, type LookupTable } from './lookup-table.js';
import { CSPS, type Csp } from './version.js';

export interface Selector {
  csp: Csp;
  /** AWS only, and required there. */
  region?: string;
  /** Azure (cvm or trustedlaunch, default cvm) and GCP (needed only when the table has several). */
  securityType?: string;
}

export interface Selection {
  reference: string;
  region?: string;
  securityType?: string;
}

/** A request the table cannot answer: exit 2, and the message lists what the table does have. */
export class MissingEntryError extends DiscoveryInputError {}

/** Picks one image reference out of a table, following the RFC's rules for each cloud. */
export function selectReference(table: LookupTable, uid: string, selector: Selector): Selection {
  const { csp, region, securityType } = selector;
  if (!CSPS.includes(csp)) throw new DiscoveryInputError(`unknown csp "${csp}": expected one of ${CSPS.join(', ')}`);
  const doesNotApply = (flag: string): never => {
    throw new DiscoveryInputError(`${flag} does not apply to ${csp}`, `${csp} images are chosen ${HOW[csp]}`);
  };
  const missing = (what: string, has: string[], hint: string): never => {
    throw new MissingEntryError(`${uid} has no ${what}; it has: ${has.length > 0 ? has.join(', ') : 'nothing'}`, hint);
  };
  const clouds = Object.keys(table);
  switch (csp) {
    case 'aws': {
      if (securityType !== undefined) doesNotApply('--security-type');
      if (!table.aws) return missing('aws image', clouds, 'choose another --csp');
      const regions = Object.keys(table.aws).sort();
      if (region === undefined) throw new MissingEntryError(`aws needs --region; ${uid} has AMIs in: ${regions.join(', ')}`);
      const ami = own(table.aws, region);
      return ami ? { reference: ami, region } : missing(`AMI in ${region}`, regions, 'choose one of these regions with --region');
    }
    case 'azure': {
      if (region !== undefined) doesNotApply('--region');
      const type = securityType ?? 'cvm';
      if (!(AZURE_SECURITY_TYPES as readonly string[]).includes(type)) {
        throw new DiscoveryInputError(`unknown azure security type "${type}": expected ${AZURE_SECURITY_TYPES.join(' or ')}`);
      }
      if (!table.azure) return missing('azure image', clouds, 'choose another --csp');
      const id = own(table.azure, type);
      return id ? { reference: id, securityType: type } : missing(`azure image for security type ${type}`, Object.keys(table.azure), 'choose one with --security-type');
    }
    case 'gcp': {
      if (region !== undefined) doesNotApply('--region');
      if (!table.gcp) return missing('gcp image', clouds, 'choose another --csp');
      const types = Object.keys(table.gcp).sort();
      if (securityType !== undefined) {
        const id = own(table.gcp, securityType);
        return id ? { reference: id, securityType } : missing(`gcp image for security type ${securityType}`, types, 'choose one with --security-type');
      }
      if (types.length > 1) throw new MissingEntryError(`${uid} has several gcp images; choose one with --security-type: ${types.join(', ')}`);
      return { reference: table.gcp[types[0]!]!, securityType: types[0] };
    }
    case 'qemu': {
      if (region !== undefined) doesNotApply('--region');
      if (securityType !== undefined) doesNotApply('--security-type');
      return table.qemu ? { reference: table.qemu } : missing('qemu image', clouds, 'choose another --csp');
    }
  }
}

const HOW: Record<Csp, string> = {
  aws: 'by --region',
  azure: 'by --security-type (cvm or trustedlaunch)',
  gcp: 'by --security-type, when there are several',
  qemu: 'by nothing: there is one URL',
};

/** Own properties only: a region called "constructor" or "__proto__" is not in the table. */
function own(record: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
