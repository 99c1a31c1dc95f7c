// A throwaway PKI made with openssl for the transport tests: a CA, a server certificate for
// 127.0.0.1/localhost, one valid only for vault.internal, and a client certificate from a second CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  /** File paths. */
  readonly caPath: string;
  readonly clientCaPath: string;
  readonly clientCertPath: string;
  readonly clientKeyPath: string;
  /** Contents. */
  readonly ca: Buffer;
  readonly clientCa: Buffer;
  readonly serverCert: Buffer;
  readonly serverKey: Buffer;
  readonly internalCert: Buffer;
  readonly internalKey: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  remove(): void;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function issue(dir: string, name: string, ca: string, subject: string, extensions: string): void {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  ]);
}

/** Creates the PKI in a fresh temporary directory. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'leasehold-pki-'));
  for (const ca of ['ca', 'client-ca']) {
    openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.pem`,
      '-days',
      '1',
      '-subj',
      `/CN=leasehold test ${ca}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  }
  issue(dir, 'server', 'ca', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue(dir, 'internal', 'ca', '/CN=vault.internal', 'subjectAltName=DNS:vault.internal\nextendedKeyUsage=serverAuth\n');
  issue(dir, 'client', 'client-ca', '/CN=app', 'extendedKeyUsage=clientAuth\n');
  const read = (file: string): Buffer => readFileSync(join(dir, file));
  return {
    dir,
    caPath: join(dir, 'ca.pem'),
    clientCaPath: join(dir, 'client-ca.pem'),
    clientCertPath: join(dir, 'client.pem'),
    clientKeyPath: join(dir, 'client.key'),
    ca: read('ca.pem'),
    clientCa: read('client-ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
    internalCert: read('internal.pem'),
    internalKey: read('internal.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
