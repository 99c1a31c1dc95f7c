// A minimal Vault over TLS for the transport tests: it answers sys/health, lookup-self and one
// KV v1 read, and records for each request the SNI name, the client certificate's CN and the token.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface TlsSeen {
  readonly path: string;
  readonly servername: string | false | null | undefined;
  readonly clientCn: string | undefined;
  readonly token: string | undefined;
}

export interface TlsVault {
  readonly port: number;
  readonly seen: TlsSeen[];
  close(): Promise<void>;
}

export interface TlsVaultOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** CA of client certificates; when set, a client certificate is required. */
  readonly clientCa?: Buffer;
}

export async function startTlsVault(options: TlsVaultOptions): Promise<TlsVault> {
  const seen: TlsSeen[] = [];
  const mtls = options.clientCa === undefined ? {} : { ca: options.clientCa, requestCert: true, rejectUnauthorized: true };
  const server: Server = createServer({ cert: options.cert, key: options.key, ...mtls }, (req, res) => {
    const socket = req.socket as TLSSocket;
    const path = (req.url ?? '').replace(/^\/v1\//, '');
    const peer = options.clientCa === undefined ? undefined : socket.getPeerCertificate();
    const token = req.headers['x-vault-token'];
    seen.push({
      path,
      servername: socket.servername,
      clientCn: peer?.subject?.CN as string | undefined,
      token: typeof token === 'string' ? token : undefined,
    });
    res.setHeader('content-type', 'application/json');
    if (path.startsWith('sys/health')) return res.end('{"initialized":true,"sealed":false,"standby":false}');
    if (path === 'auth/token/lookup-self')
      return res.end(
        JSON.stringify({ lease_id: '', renewable: false, lease_duration: 0, data: { ttl: 0, renewable: false, accessor: 'acc' } }),
      );
    if (path === 'kv/app')
      return res.end(JSON.stringify({ lease_id: '', renewable: false, lease_duration: 2764800, data: { password: 'kv-password' } }));
    res.statusCode = 404;
    res.end('{"errors":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
