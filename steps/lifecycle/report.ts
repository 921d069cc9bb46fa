import { formatSize, type OwnedResource } from './resource.js';

/**
 * The plan of a lifecycle command as a person reads it on stdout: one line per resource, grouped by cloud and
 * location, with sizes where the cloud tells them, then the total. delete and gc print the same.
 */
export function formatResources(resources: readonly OwnedResource[]): string {
  const sorted = [...resources].sort((a, b) => a.csp.localeCompare(b.csp) || a.location.localeCompare(b.location));
  const widths = ['csp', 'location', 'kind'].map((field) => Math.max(...sorted.map((resource) => String(resource[field as keyof OwnedResource]).length), 0));
  const lines = sorted.map((resource) => {
    const size = resource.sizeBytes === undefined ? '' : `  ${formatSize(resource.sizeBytes)}`;
    return `  ${resource.csp.padEnd(widths[0]!)}  ${resource.location.padEnd(widths[1]!)}  ${resource.kind.padEnd(widths[2]!)}  ${resource.id}${size}`;
  });
  const bytes = resources.reduce((sum, resource) => sum + (resource.sizeBytes ?? 0), 0);
  const total = `  ${resources.length} resource${resources.length === 1 ? '' : 's'}${bytes > 0 ? `, ${formatSize(bytes)} stored` : ''}`;
  return [...lines, total].map((line) => `${line}\n`).join('');
}
