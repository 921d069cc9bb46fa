import { fileURLToPath } from 'node:url';

/** The release workflow the tests lint and run. */
export const WORKFLOW = fileURLToPath(new URL('../../../.github/workflows/build-os-image.yml', import.meta.url));

/** Every workflow file of the repository: each one is linted. */
export const WORKFLOWS_DIR = fileURLToPath(new URL('../../../.github/workflows/', import.meta.url));
