#!/usr/bin/env node
// The executable stays plain JavaScript so that `osimage` needs no loader and starts fast.
import { main } from '../dist/pipeline/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
