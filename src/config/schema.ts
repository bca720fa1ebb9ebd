/**
 * The daemon's configuration schema (DESIGN.md "The daemon (C6)", `dane-mta serve --config`):
 * one zod schema gives the check, the TypeScript types (`Config`) and the documentation (every
 * field's description, rendered into the README by reference.ts). Unknown keys are errors;
 * every value is checked here, defaults filled in, durations and sizes turned into numbers,
 * Postfix-style TLS names normalised to the nine modes of DESIGN.md.
 * Must never: read files or the clock (load.ts does, after this schema), accept an entry that
 * weakens DANE without `reason` and `until`.
 */
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { z } from 'zod';
import { destinationEntry, normalizeDestinationKey, weakensDane, type Destination } from './destinations.ts';
import {
  cidr,
  count,
  duration,
  file,
  hostPort,
  insecureMx,
  port,
  rate,
  resolverAddress,
  size,
  tlsMode,
} from './fields.ts';
import { isHostName } from './units.ts';

/** Networks a relay listener trusts when `networks` is not given: loopback only. */
export const DEFAULT_RELAY_NETWORKS: readonly string[] = ['127.0.0.0/8', '::1/128'];

const listener = z
  .strictObject({
    address: hostPort('IP:port or [IPv6]:port to listen on'),
    mode: z
      .enum(['relay', 'submission'])
      .describe('relay: clients from `networks` relay without AUTH; submission: STARTTLS + AUTH (RFC 6409)'),
    networks: z
      .array(cidr)
      .optional()
      .describe('relay only: networks that may relay without AUTH (default 127.0.0.0/8 and ::1/128)'),
    tls: z
      .strictObject({
        cert: file('certificate chain (PEM)'),
        key: file('private key (PEM)'),
      })
      .optional()
      .describe('certificate and key for STARTTLS; relay: optional, submission: required'),
    users: file('submission only: users file, one "name:hash" a line (`dane-mta passwd NAME`)').optional(),
  })
  .superRefine((l, ctx) => {
    const need = (key: string, message: string) => {
      ctx.addIssue({ code: 'custom', path: [key], message });
    };
    if (l.mode === 'submission') {
      if (l.tls === undefined) need('tls', 'a submission listener needs tls (AUTH only after STARTTLS)');
      if (l.users === undefined)
        need('users', 'a submission listener needs a users file (`dane-mta passwd`)');
      if (l.networks !== undefined)
        need('networks', 'networks applies only to relay listeners (submission authenticates everyone)');
    } else if (l.users !== undefined) {
      need('users', 'users applies only to submission listeners (relay does not authenticate)');
    }
  })
  .transform((l) => ({
    address: l.address,
    mode: l.mode,
    networks: l.mode === 'relay' ? (l.networks ?? [...DEFAULT_RELAY_NETWORKS]) : [],
    tls: l.tls ?? null,
    users: l.users ?? null,
  }));

const limits = z.strictObject({
  message_size: size('largest message accepted (SIZE, RFC 1870)').prefault('25MB'),
  recipients: count(1, 100_000, 'recipients per message; more get 452 4.5.3').prefault(1000),
  received_headers: count(1, 1000, 'Received: headers allowed; more get 554 5.4.6 (mail loop)').prefault(50),
  connections: count(1, 100_000, 'concurrent intake connections per listener').prefault(500),
  command_timeout: duration(
    'how long a client may stay silent in an SMTP session (RFC 5321 §4.5.3.2.7: at least 5m)',
  )
    .refine((ms) => ms >= 1000, { error: 'must be at least 1s (RFC 5321 §4.5.3.2.7 asks for 5m)' })
    .prefault('5m'),
});

const DELAY_WARNING = z
  .unknown()
  .transform((v, ctx): number | null => {
    if (v === 'off' || v === false) return null;
    const parsed = duration('').safeParse(v);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: `${parsed.error.issues[0]?.message ?? 'bad duration'}, or off` });
    return z.NEVER;
  })
  .describe('send one delay DSN after this long in the queue, or off');

const queue = z.strictObject({
  url: z
    .string()
    .trim()
    .refine((u) => /^sqlite:.+$/.test(u) || /^postgres(?:ql)?:\/\/.+$/.test(u), {
      error: 'expected sqlite:PATH or postgres://user@host/db',
    })
    .prefault('sqlite:/var/lib/dane-mta/queue.db')
    .describe('sqlite:PATH (relative to this file) or postgres://… (C7 scale-out)'),
  retry: z
    .array(duration(''))
    .min(1, { error: 'give at least one retry interval' })
    .prefault(['5m', '10m', '20m', '40m', '1h'])
    .describe('intervals between attempts; then every last interval, jittered'),
  max_age: duration('bounce (DSN) a recipient still deferred after this long').prefault('5d'),
  delay_warning: DELAY_WARNING.prefault('4h'),
  lease: duration('work lease of a claimed recipient (PostgreSQL scale-out)').prefault('2m'),
  retain: duration('final messages kept for `queue show`, then pruned').prefault('1d'),
  listen_notify: z
    .boolean()
    .prefault(true)
    .describe('PostgreSQL LISTEN/NOTIFY (false behind a transaction-pooling proxy)'),
});

const dns = z.strictObject({
  mode: z
    .enum(['validate', 'recursive', 'trust-ad'])
    .prefault('validate')
    .describe('validate, recursive or trust-ad (as --dns-mode)'),
  resolvers: z
    .array(resolverAddress)
    .prefault([])
    .describe('ADDR[:PORT] resolvers for validate/trust-ad (default: /etc/resolv.conf)'),
  trust_anchors: z
    .array(file(''))
    .prefault([])
    .describe('DS/DNSKEY files replacing the built-in IANA root KSKs'),
  root_hints: file('root hints for recursive (default: the IANA root servers)').optional(),
  port: port('port of every authoritative server (recursive only)').optional(),
  timeout: duration('wait for each DNS reply').prefault('2s'),
});

const delivery = z.strictObject({
  tls: tlsMode.prefault('dane').describe('TLS mode (DESIGN.md "TLS modes"; encrypt/may/none accepted)'),
  insecure_mx: insecureMx.prefault('dane').describe('hosts of an insecure MX RRset: dane, encrypt or may'),
  port: port('SMTP port of the MX hosts').prefault(25),
  helo: z
    .string()
    .refine(isHostName, { error: 'expected a host name' })
    .optional()
    .describe('EHLO name (default: hostname)'),
  source: z
    .string()
    .refine((s) => isIP(s) !== 0, { error: 'expected an IPv4 or IPv6 address' })
    .optional()
    .describe('local address to connect from'),
  ca: z.array(file('')).prefault([]).describe('extra PKIX roots (PEM files) for the *_verify modes'),
  timeout: duration('cap on every SMTP wait (default: the RFC 5321 §4.5.3.2 timeouts)').optional(),
  concurrency: count(1, 100_000, 'deliveries in flight, all destinations').prefault(200),
  per_destination: count(1, 10_000, 'connections per destination').prefault(10),
  messages_per_connection: count(1, 100_000, 'then QUIT; RSET between messages').prefault(100),
  connection_cache_time: duration(
    'how long a connection with nothing to send waits for more mail to its destination (0s: QUIT at once)',
  ).prefault('2s'),
  connection_reuse_time: duration(
    'after this long a connection takes no more mail (its DNS and DANE facts are that old)',
  ).prefault('5m'),
  rate: rate.optional().describe('per destination: messages_per_minute, connections_per_minute'),
  group_by_mx: z.boolean().prefault(false).describe('destinations sharing an MX set share limits'),
  destinations: z
    .record(z.string(), destinationEntry)
    .prefault({})
    .describe('per recipient domain, exact or "*.suffix": tls, insecure_mx, port, concurrency, …'),
});

const http = z.strictObject({
  listen: hostPort('IP:port for GET /metrics and GET /health (default: no HTTP endpoint)').optional(),
});

const log = z.strictObject({
  format: z.enum(['json', 'pretty']).prefault('json').describe('json (one line per event) or pretty'),
  level: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .prefault('info')
    .describe('pino log level'),
});

const shutdown = z.strictObject({
  grace: duration('on SIGTERM, how long in-flight transactions may finish').prefault('30s'),
});

const root = z.strictObject({
  hostname: z
    .string()
    .refine(isHostName, { error: 'expected a host name such as mta.example.net' })
    .optional()
    .describe('EHLO name and DSN Reporting-MTA (default: this host name)'),
  listen: z
    .array(listener)
    .min(1, { error: 'give at least one listener' })
    .describe('SMTP listeners (at least one)'),
  limits: limits.prefault({}).describe('intake limits'),
  queue: queue.prefault({}).describe('the durable queue'),
  dns: dns.prefault({}).describe("the resolver (the CLI's DNS flags, same meanings)"),
  delivery: delivery.prefault({}).describe('outbound delivery'),
  http: http.prefault({}).describe('metrics and health endpoint'),
  log: log.prefault({}).describe('logging'),
  shutdown: shutdown.prefault({}).describe('signals'),
});

type RootOutput = z.output<typeof root>;

function checkDns(c: RootOutput, ctx: z.RefinementCtx): void {
  const bad = (key: string, message: string) => {
    ctx.addIssue({ code: 'custom', path: ['dns', key], message });
  };
  const d = c.dns;
  if (d.mode === 'recursive' && d.resolvers.length > 0)
    bad('resolvers', 'resolvers does not apply to mode recursive (it asks the root servers)');
  if (d.mode !== 'recursive' && d.root_hints !== undefined)
    bad('root_hints', 'root_hints applies only to mode recursive');
  if (d.mode !== 'recursive' && d.port !== undefined) bad('port', 'port applies only to mode recursive');
  if (d.mode === 'trust-ad' && d.trust_anchors.length > 0)
    bad('trust_anchors', 'trust_anchors does not apply to mode trust-ad (the resolver validates)');
}

function checkDestinations(c: RootOutput, ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  for (const [written, entry] of Object.entries(c.delivery.destinations)) {
    const path = ['delivery', 'destinations', written];
    const key = normalizeDestinationKey(written);
    if (key === undefined) {
      ctx.addIssue({ code: 'custom', path, message: `'${written}' is not a domain or *.domain` });
      continue;
    }
    const dup = seen.get(key);
    if (dup !== undefined) ctx.addIssue({ code: 'custom', path, message: `same destination as '${dup}'` });
    seen.set(key, written);
    if (weakensDane(entry, c.delivery) && (entry.reason === undefined || entry.until === undefined)) {
      const missing = [entry.reason === undefined ? 'reason' : '', entry.until === undefined ? 'until' : '']
        .filter((s) => s !== '')
        .join(' and ');
      ctx.addIssue({
        code: 'custom',
        path: [...path, entry.reason === undefined ? 'reason' : 'until'],
        message: `this entry weakens DANE (a DANE exception) and needs ${missing}`,
      });
    }
  }
}

/** The whole file: checked, defaulted, with cross-field rules and derived values. */
export const configSchema = root
  .superRefine((c, ctx) => {
    checkDns(c, ctx);
    checkDestinations(c, ctx);
  })
  .transform((c) => {
    const destinations: Destination[] = Object.entries(c.delivery.destinations).map(([written, entry]) => ({
      ...entry,
      key: normalizeDestinationKey(written) ?? written,
      written,
      weakensDane: weakensDane(entry, c.delivery),
      expired: false,
    }));
    const hostname = c.hostname ?? osHostname();
    return {
      ...c,
      hostname,
      delivery: {
        ...c.delivery,
        helo: c.delivery.helo ?? hostname,
        rate: c.delivery.rate ?? null,
        destinations,
      },
    };
  });

/** The loaded configuration, fully defaulted (durations in ms, sizes in bytes). */
export type Config = z.output<typeof configSchema>;
export type ListenConfig = Config['listen'][number];
export type LimitsConfig = Config['limits'];
export type QueueConfig = Config['queue'];
export type DnsConfig = Config['dns'];
export type DeliveryConfig = Config['delivery'];
