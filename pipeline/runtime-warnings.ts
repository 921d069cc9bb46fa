import { createLogger, type Logger } from './logger.js';

/**
 * Node prints process warnings (deprecations, an SDK's notice about the runtime) as plain text on stderr, in the middle
 * of log lines and of CI's JSON stream. They go through the logger instead, once per kind of warning.
 */
export function routeRuntimeWarnings(logger: () => Logger = () => createLogger()): void {
  const seen = new Set<string>();
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    const kind = `${warning.name}:${warning.code ?? warning.message}`;
    if (seen.has(kind)) return;
    seen.add(kind);
    logger().warn({ warning: { name: warning.name, code: warning.code, message: warning.message } }, 'runtime warning');
  });
}
