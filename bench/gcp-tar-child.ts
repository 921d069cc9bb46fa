import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { findData } from '../steps/upload/data-map.js';
import { sparseTarGzStream } from '../steps/upload/gcp/sparse-tar.js';

/** The measured half of bench/gcp-tar.ts: maps the image and writes its sparse tar.gz as the GCP step does. */
const [image, out] = process.argv.slice(2);
await pipeline(sparseTarGzStream(image!, await findData(image!), { entryName: 'disk.raw' }), createWriteStream(out!));
