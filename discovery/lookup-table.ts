/** The lookup table (DESIGN.md): uid → every cloud's image reference. Keys are absent for clouds not built. */
export interface LookupTable {
  aws?: Record<string, string>;
  azure?: { cvm?: string; trustedlaunch?: string };
  gcp?: Record<string, string>;
  qemu?: string;
}
