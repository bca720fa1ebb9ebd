/**
 * The daemon's HTTP endpoint (`http.listen`): GET /metrics (Prometheus text format) and GET
 * /health (200 `{"status":"ok"}` or 503 with the failing check's reason). Nothing else: every
 * other path is 404, every other method 405. Bind it to loopback or a management network.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../obs/index.ts';
import type { HealthReport } from './health.ts';

export interface HttpEndpoint {
  /** The bound address as `IP:port` (`[IPv6]:port`). */
  readonly address: string;
  close(): Promise<void>;
}

/** How long a health report is reused (the checks write to the store and ask DNS). */
const HEALTH_CACHE_MS = 2000;

export async function startHttp(
  listen: { host: string; port: number },
  deps: { metrics: Metrics; health: () => Promise<HealthReport>; now: () => number },
): Promise<HttpEndpoint> {
  let cached: { at: number; report: Promise<HealthReport> } | undefined;
  const health = (): Promise<HealthReport> => {
    const now = deps.now();
    if (cached === undefined || now - cached.at > HEALTH_CACHE_MS)
      cached = { at: now, report: deps.health() };
    return cached.report;
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, type: string, body: string): void => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(405, 'text/plain', 'method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      deps.metrics.text().then(
        (text) => {
          reply(200, deps.metrics.contentType, text);
        },
        () => {
          reply(500, 'text/plain', 'metrics unavailable\n');
        },
      );
      return;
    }
    if (path === '/health') {
      health().then(
        (r) => {
          const body = { status: r.ok ? 'ok' : 'fail', checks: r.checks };
          reply(r.ok ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`);
        },
        (e: unknown) => {
          reply(503, 'application/json', `${JSON.stringify({ status: 'fail', error: String(e) })}\n`);
        },
      );
      return;
    }
    reply(404, 'text/plain', 'not found (GET /metrics, GET /health)\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listen.host, port: listen.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    address: a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
