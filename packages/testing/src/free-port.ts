/** Tests and the demo start servers side by side on one machine; each needs a port nobody holds. */
import { createServer } from 'node:net';

/**
 * Finds a TCP port that is free right now by binding port 0 and releasing it.
 * Another process can grab it before the caller binds it; callers retry on EADDRINUSE.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}
