import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, where dist/ and config/ are. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** A fresh working directory, as a user's; the embedded default publishes into its .osimage/. */
export async function workdir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'osimage-e2e-'));
}

/** A config file in `dir` whose build command uses the repository's sample-image script. */
export async function writeConfig(dir: string, yaml: string, name = 'osimage.yaml'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, yaml.replaceAll('$REPO', REPO));
  return path;
}

/** Every file under `dir` with its bytes, for comparing published trees. */
export async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path), await readFile(path));
  }
  return files;
}
