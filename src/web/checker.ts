/**
 * The web checker (`dane-mta web`): a node:http server with one page. `GET /` shows the form,
 * `GET /?domain=NAME` the report rendered by the server (page.ts), `GET /api/check?domain=NAME`
 * the report as the JSON of `dane-mta check --json`. Each check is bounded in time (its own
 * deadline, then a hard one for the answer) and in concurrency per client and in total
 * (limits.ts). Because a check makes this server connect wherever DNS points, MX addresses in
 * loopback, private or link-local ranges are refused unless `allowPrivate` is set, and address
 * literals are refused outright.
 * Must never: connect to a refused range, answer with a stack trace, or serve anything but the
 * page and the JSON.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkDomain,
  nonPublicRange,
  parseCheckDomain,
  type CheckReport,
  type Probe,
} from '../check/index.ts';
import type { DaneResolver } from '../dane/index.ts';
import type { Name } from '../dns/wire/index.ts';
import { describeError, isMtaError, type Clock } from '../util/index.ts';
import { CheckLimiter } from './limits.ts';
import { renderPage, type PageBody } from './page.ts';

/** Options of `startWebChecker`. */
export interface WebCheckerOptions {
  readonly resolver: DaneResolver;
  readonly clock: Clock;
  /** Address and port to listen on (port 0: a free one). */
  readonly listen: { readonly address: string; readonly port: number };
  /** SMTP port of the MX hosts checked (default 25). */
  readonly smtpPort?: number;
  /** Expiry warning window in days (default 7). */
  readonly days?: number;
  readonly helo?: string;
  /** Cap on each SMTP wait, ms (default 10 000). */
  readonly smtpTimeoutMs?: number;
  /** Time budget of one check, ms (default 60 000): then its probes are aborted. */
  readonly checkTimeoutMs?: number;
  /** How much longer the page waits for an aborted check before answering 504 (default 5000 ms). */
  readonly graceMs?: number;
  /** Checks in flight per client address (default 2) and in all (default 16). */
  readonly perClient?: number;
  readonly maxChecks?: number;
  /** Connect to MX addresses in loopback, private and link-local ranges too. */
  readonly allowPrivate?: boolean;
  /** Test seam: how addresses are probed. */
  readonly probe?: Probe;
}

/** A running web checker. */
export interface WebChecker {
  readonly url: string;
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

const HARD_GRACE_MS = 5000;

const HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

type Outcome = { status: number; report?: CheckReport; error?: string };

class Handler {
  readonly #o: WebCheckerOptions;
  readonly #limiter: CheckLimiter;

  constructor(o: WebCheckerOptions) {
    this.#o = o;
    this.#limiter = new CheckLimiter({ perClient: o.perClient ?? 2, total: o.maxChecks ?? 16 });
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://checker.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'only GET is supported\n', { allow: 'GET, HEAD' });
      return;
    }
    const domain = url.searchParams.get('domain');
    if (url.pathname === '/api/check') {
      const out =
        domain === null ? { status: 400, error: 'missing ?domain=NAME' } : await this.#check(domain, req);
      const body = out.report === undefined ? { error: out.error ?? 'error' } : out.report;
      send(res, out.status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
      return;
    }
    if (url.pathname !== '/') {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    if (domain === null) {
      send(res, 200, 'text/html; charset=utf-8', renderPage('', { kind: 'form' }));
      return;
    }
    const out = await this.#check(domain, req);
    const body: PageBody =
      out.report === undefined
        ? { kind: 'error', message: out.error ?? 'error' }
        : { kind: 'report', report: out.report };
    send(res, out.status, 'text/html; charset=utf-8', renderPage(domain.slice(0, 300), body));
  }

  async #check(text: string, req: IncomingMessage): Promise<Outcome> {
    let name: Name;
    try {
      name = parseCheckDomain(text);
    } catch (e) {
      if (isMtaError(e, 'CHECK_ERR_DOMAIN')) return { status: 400, error: describeError(e) };
      throw e;
    }
    const slot = this.#limiter.acquire(req.socket.remoteAddress ?? 'unknown');
    if ('refused' in slot) {
      return slot.refused === 'client'
        ? { status: 429, error: 'you already have checks running: wait for them to finish' }
        : { status: 503, error: 'the checker is busy: try again in a minute' };
    }
    return this.#run(name, slot.release);
  }

  async #run(name: Name, release: () => void): Promise<Outcome> {
    const budget = this.#o.checkTimeoutMs ?? 60_000;
    const controller = new AbortController();
    const soft = setTimeout(() => {
      controller.abort();
    }, budget);
    let hard: NodeJS.Timeout | undefined;
    const work = checkDomain(name, {
      resolver: this.#o.resolver,
      clock: this.#o.clock,
      port: this.#o.smtpPort ?? 25,
      days: this.#o.days ?? 7,
      ...(this.#o.helo === undefined ? {} : { helo: this.#o.helo }),
      timeoutMs: this.#o.smtpTimeoutMs ?? 10_000,
      signal: controller.signal,
      ...(this.#o.allowPrivate === true ? {} : { refuse: nonPublicRange }),
      ...(this.#o.probe === undefined ? {} : { probe: this.#o.probe }),
    }).finally(() => {
      clearTimeout(soft);
      clearTimeout(hard);
      release();
    });
    const late = new Promise<'late'>((resolve) => {
      hard = setTimeout(
        () => {
          resolve('late');
        },
        budget + (this.#o.graceMs ?? HARD_GRACE_MS),
      );
    });
    try {
      const r = await Promise.race([work, late]);
      if (r === 'late') {
        work.catch(() => undefined);
        return { status: 504, error: `the check of ${name.toString()} took too long` };
      }
      return { status: 200, report: r };
    } catch (e) {
      return { status: 500, error: `internal error: ${describeError(e)}` };
    }
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...HEADERS,
    ...extra,
    'content-type': type,
    'content-length': String(bytes.length),
  });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
}

function listen(server: Server, at: WebCheckerOptions['listen']): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: at.address, port: at.port }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Start the web checker; rejects when the address cannot be listened on. */
export async function startWebChecker(o: WebCheckerOptions): Promise<WebChecker> {
  const handler = new Handler(o);
  const server = createServer({ requestTimeout: 120_000, headersTimeout: 10_000 }, (req, res) => {
    handler.handle(req, res).catch((e: unknown) => {
      if (!res.headersSent)
        send(res, 500, 'text/plain; charset=utf-8', `internal error: ${describeError(e)}\n`);
      else res.destroy();
    });
  });
  const bound = await listen(server, o.listen);
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${bound.port}/`,
    address: bound.address,
    port: bound.port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      })),
  };
}
