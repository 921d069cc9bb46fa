import { S3Store } from '../pipeline/store/s3-store.js';
import { findData } from '../steps/upload/data-map.js';
import { streamOptimizedVmdk, vmdkMaxSize } from '../steps/upload/aws/stream-optimized-vmdk.js';

/**
 * The measured half of bench/aws-upload.ts, in a process of its own so that its peak RSS is the upload's alone:
 * maps the image, streams it as a stream-optimized VMDK to the import bucket the way the AWS step does, and prints
 * its figures as JSON.
 */
const [endpoint, bucket, key, path] = process.argv.slice(2);
const store = new S3Store({ bucket: bucket!, endpoint, forcePathStyle: true, region: 'us-east-1', checksums: false });
const started = performance.now();
const map = await findData(path!);
const { size } = await store.uploadStream(key!, streamOptimizedVmdk(path!, map, { contentId: '00000000' }), vmdkMaxSize(map.size), {
  contentType: 'application/octet-stream',
});
const seconds = (performance.now() - started) / 1000;
store.client.destroy();
process.stdout.write(JSON.stringify({ seconds, bytes: size, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
