// TCP port probes shared by the test helpers of every server (NATS, Redis), so a suite needs
// only the server it uses.
import { connect as netConnect } from 'node:net';

/** Resolves `true` when something accepts TCP connections on `host:port` within `timeoutMs`. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (ok: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
