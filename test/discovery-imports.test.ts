import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const DISCOVERY = fileURLToPath(new URL('../../discovery/', import.meta.url));

/** What consumers import must stay small and start fast: Node built-ins, its own files, and the YAML parser. */
it('discovery/ imports no cloud SDK and nothing from pipeline/, steps/ or config/', () => {
  const files = readdirSync(DISCOVERY).filter((name) => name.endsWith('.ts'));
  assert.ok(files.length > 5, 'the discovery sources are found');
  const offending: string[] = [];
  for (const name of files) {
    const source = readFileSync(join(DISCOVERY, name), 'utf8');
    const specifiers = [...source.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)].map(
      (match) => match[1] ?? match[2] ?? match[3]!,
    );
    for (const specifier of specifiers) {
      const allowed = specifier.startsWith('node:') || /^\.\/[^/]+\.js$/.test(specifier) || specifier === 'yaml';
      if (!allowed) offending.push(`${name}: ${specifier}`);
    }
  }
  assert.deepEqual(offending, []);
});
