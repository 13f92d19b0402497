import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthCheck {
  name: string;
  ok: boolean;
  /** Why not, when not. */
  detail?: string;
}

export interface OpsEndpoints {
  /** Every part the bot needs: Discord connected, each ComfyUI server answering, the ledger writable. */
  health(): HealthCheck[];
  /** Prometheus text format. */
  metrics(): Promise<string>;
}

/**
 * `/healthz` (200 when every check passes, else 503, with each check as JSON) and `/metrics` (Prometheus), on a port
 * of their own, bound to 127.0.0.1 unless configured otherwise. Nothing else is served.
 */
export async function serveOps(endpoints: OpsEndpoints, port: number, host: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/healthz') {
      const checks = endpoints.health();
      const ok = checks.every((check) => check.ok);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok, checks }));
      return;
    }
    if (path === '/metrics') {
      endpoints.metrics().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
