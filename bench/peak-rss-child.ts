import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { findData } from '../steps/upload/data-map.js';
import { streamOptimizedVmdk } from '../steps/upload/aws/stream-optimized-vmdk.js';
import { uploadPages } from '../steps/upload/azure/page-upload.js';
import { openVhdSource } from '../steps/upload/azure/vhd-source.js';
import { sparseTarGzStream } from '../steps/upload/gcp/sparse-tar.js';

/**
 * The measured half of bench/peak-rss.ts: one cloud's data path for one image, into a sink that keeps nothing (a
 * counting stream; for Azure a local HTTP server that accepts every page), then the process's peak RSS as JSON.
 */
const [cloud, image] = process.argv.slice(2) as [string, string];
let sent = 0;
const sink = () =>
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      done();
    },
  });

if (cloud === 'aws') await pipeline(streamOptimizedVmdk(image, await findData(image), { contentId: '00000000' }), sink());
if (cloud === 'gcp') await pipeline(sparseTarGzStream(image, await findData(image), { entryName: 'disk.raw' }), sink());
if (cloud === 'azure') {
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (sent += chunk.length));
    req.on('end', () => res.writeHead(201).end());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const source = await openVhdSource(image);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/account/container/disk.vhd?sig=x`;
  await uploadPages(source, url, { concurrency: 8, maxTries: 1 });
  await source.close();
  server.close();
}
process.stdout.write(JSON.stringify({ sent, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
