import { httpStatus, NO_GAX_RETRY, type GcpClients } from './clients.js';

export const IMAGE_USER_ROLE = 'roles/compute.imageUser';
export const PUBLIC_MEMBER = 'allAuthenticatedUsers';

/** The journal's record of a public image. */
export interface PublicRecord {
  image: string;
  role: string;
  member: string;
}

/** Whether every Google account may use the image (it has the imageUser binding for allAuthenticatedUsers). */
export async function isPublic(clients: GcpClients, project: string, name: string): Promise<boolean> {
  const [policy] = await readPolicy(clients, project, name);
  return (policy.bindings ?? []).some((binding) => binding.role === IMAGE_USER_ROLE && (binding.members ?? []).includes(PUBLIC_MEMBER));
}

const ATTEMPTS = 5;

/**
 * Adds the binding by read-modify-write, keeping every other binding. The policy's etag makes a concurrent change
 * fail the write (409) instead of being lost; then the whole cycle runs again.
 */
export async function makePublic(clients: GcpClients, project: string, name: string): Promise<PublicRecord> {
  for (let attempt = 1; ; attempt++) {
    const [policy] = await readPolicy(clients, project, name);
    const bindings = [...(policy.bindings ?? [])];
    const existing = bindings.find((binding) => binding.role === IMAGE_USER_ROLE && !binding.condition);
    if (existing?.members?.includes(PUBLIC_MEMBER)) break;
    if (existing) existing.members = [...(existing.members ?? []), PUBLIC_MEMBER];
    else bindings.push({ role: IMAGE_USER_ROLE, members: [PUBLIC_MEMBER] });
    try {
      // Safe to retry: the etag makes a repeat of a write that went through fail with 409, and the cycle sees it done.
      const globalSetPolicyRequestResource = { policy: { ...policy, bindings } };
      await clients.compute('images.setIamPolicy', () => clients.images.setIamPolicy({ project, resource: name, globalSetPolicyRequestResource }, NO_GAX_RETRY));
      break;
    } catch (error) {
      if (httpStatus(error) !== 409 || attempt >= ATTEMPTS) throw error;
    }
  }
  return { image: name, role: IMAGE_USER_ROLE, member: PUBLIC_MEMBER };
}

function readPolicy(clients: GcpClients, project: string, name: string) {
  return clients.compute('images.getIamPolicy', () => clients.images.getIamPolicy({ project, resource: name }, NO_GAX_RETRY));
}
