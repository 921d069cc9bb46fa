#!/usr/bin/env node
// The executable stays plain JavaScript so that `osimage` needs no loader and starts fast.
import { main } from '../dist/pipeline/cli/main.js';

// `osimage … | head` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
