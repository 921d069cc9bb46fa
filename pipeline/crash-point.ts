/**
 * A named point between two durable effects (a stage boundary, a write's steps). Crash tests preload
 * test/support/kill-at.ts, which installs the hook and kills the process at the point it is told; in production the
 * hook is absent and this is one property read.
 */
export function crashPoint(name: string): void {
  (globalThis as { osimageCrashPoint?: (name: string) => void }).osimageCrashPoint?.(name);
}
