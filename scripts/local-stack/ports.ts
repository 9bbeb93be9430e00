import { createServer } from 'node:net';

// Below Linux's ephemeral range (32768-60999): a port the kernel hands out for outgoing connections can be
// taken by any client socket the moment a stopped broker released it, and the broker's restart then fails
// with "Address already in use" (seen in the outage tests). Ports from this range are only ever ours.
const FIRST_PORT = 20_000;
const PORTS = 12_000;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on now, outside the ephemeral range. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIRST_PORT + Math.floor(Math.random() * PORTS);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found between ${FIRST_PORT} and ${FIRST_PORT + PORTS}`);
}
