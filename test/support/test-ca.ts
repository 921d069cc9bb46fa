import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestTls {
  /** The CA certificate file, for NODE_EXTRA_CA_CERTS of a child process. */
  caPath: string;
  key: string;
  cert: string;
  dir: string;
}

/**
 * A throwaway CA and a server certificate for 127.0.0.1, made with openssl at test time, so that a fake cloud API
 * can be served over https to a client that trusts the CA through NODE_EXTRA_CA_CERTS.
 */
export async function makeTestTls(): Promise<TestTls> {
  const dir = await mkdtemp(join(tmpdir(), 'osimage-tls-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => run('openssl', args);
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=osimage test CA', '-keyout', path('ca.key'), '-out', path('ca.pem'));
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-subj', '/CN=127.0.0.1', '-keyout', path('server.key'), '-out', path('server.csr'));
  await writeFile(path('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  await openssl('x509', '-req', '-in', path('server.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial',
    '-days', '1', '-extfile', path('server.ext'), '-out', path('server.pem'));
  return { caPath: path('ca.pem'), key: await readFile(path('server.key'), 'utf8'), cert: await readFile(path('server.pem'), 'utf8'), dir };
}
