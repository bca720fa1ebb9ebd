/**
 * `createMta(options)`: the library's composition root. One call gives a ready MTA — the
 * validating resolver (system resolvers and the IANA root KSKs unless told otherwise), a default
 * transport profile (TLS mode `dane`, port 25, this host's name as HELO), the system clock and
 * CSPRNG — with `deliver`, `lookupRcpt`, `resolve` and `close`. The CLI, the demo and the daemon
 * build theirs here too, so a library user never copies CLI code.
 * Must never: deliver after `close()`; let a per-call profile override weaken anything silently
 * (the override is the caller's explicit choice and is used as given).
 */
import { hostname } from 'node:os';
import type { DaneResolver } from '../dane/index.ts';
import {
  deliver,
  lookupRcpt,
  type DeliveryResult,
  type Envelope,
  type OpenSession,
  type TransportProfile,
} from '../delivery/index.ts';
import type { Answer, Resolver } from '../dns/resolver/index.ts';
import { Name, typeFromString } from '../dns/wire/index.ts';
import { cryptoRandom, MtaError, systemClock, type Clock, type Random } from '../util/index.ts';
import { createResolver, type DnsSettings } from './resolver.ts';

export interface MtaOptions {
  /** How to resolve (default: mode validate over the system resolvers, IANA root anchors). */
  dns?: DnsSettings;
  /** A ready resolver instead of `dns` (tests, a shared cache). */
  resolver?: DaneResolver;
  /** Transport defaults for every call (TLS mode, port, HELO, timeouts, limits …). */
  transport?: Partial<TransportProfile>;
  clock?: Clock;
  random?: Random;
  /** Opens SMTP sessions (default: smtp/client's openSession); a test seam. */
  open?: OpenSession;
  /** resolv.conf warnings and the like. */
  onWarning?: (text: string) => void;
}

/** Per-call options of `deliver` and `lookupRcpt`. */
export interface CallOptions {
  /** Overrides of the MTA's transport profile for this call. */
  transport?: Partial<TransportProfile>;
  /** Each transcript line as it happens. */
  onLog?: (line: string) => void;
}

export interface Mta {
  /** The transport profile calls start from. */
  readonly profile: Readonly<TransportProfile>;
  /** The validating resolver (or the one given). */
  readonly resolver: DaneResolver;
  /** Deliver a message to every recipient of the envelope (one delivery per domain). */
  deliver(envelope: Envelope, message: Uint8Array | string, opts?: CallOptions): Promise<DeliveryResult>;
  /** Verify one recipient: EHLO, STARTTLS per policy, MAIL FROM, RCPT TO, QUIT — no DATA. */
  lookupRcpt(address: string, opts?: CallOptions & { from?: string }): Promise<DeliveryResult>;
  /** Look up and validate one RRset (`type` as a mnemonic such as `TLSA`, or a number). */
  resolve(name: string, type?: string | number): Promise<Answer>;
  /** Wait for calls in flight, then refuse new ones. */
  close(): Promise<void>;
}

export class MtaClosedError extends MtaError<'MTA_ERR_CLOSED'> {
  constructor() {
    super('MTA_ERR_CLOSED', 'this MTA was closed');
    this.name = 'MtaClosedError';
  }
}

/** The profile of a new MTA: RFC 7672 by default (TLS mode `dane`, insecure-MX policy `dane`). */
export function defaultProfile(overrides: Partial<TransportProfile> = {}): TransportProfile {
  return { tlsMode: 'dane', insecureMx: 'dane', port: 25, helo: hostname(), ...overrides };
}

function parseType(type: string | number): number {
  if (typeof type === 'number') return type;
  const n = typeFromString(type.toUpperCase());
  if (n === undefined) throw new TypeError(`'${type}' is not a DNS record type`);
  return n;
}

/** Build an MTA. Throws `MtaSetupError` for DNS settings that cannot work. */
export function createMta(options: MtaOptions = {}): Mta {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? cryptoRandom;
  const resolver: DaneResolver | Resolver =
    options.resolver ??
    createResolver(options.dns ?? {}, {
      clock,
      random,
      ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
    });
  const profile = defaultProfile(options.transport);
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;
  const track = <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new MtaClosedError());
    const p = work();
    inFlight.add(p);
    const forget = (): void => {
      inFlight.delete(p);
    };
    p.then(forget, forget);
    return p;
  };
  const deliverOptions = (call: CallOptions = {}) => ({
    resolver,
    profile: { ...profile, ...call.transport },
    clock,
    random,
    ...(options.open === undefined ? {} : { open: options.open }),
    ...(call.onLog === undefined ? {} : { onLog: call.onLog }),
  });
  return {
    profile,
    resolver,
    deliver: (envelope, message, call) =>
      track(() =>
        deliver(
          envelope,
          typeof message === 'string' ? new TextEncoder().encode(message) : message,
          deliverOptions(call),
        ),
      ),
    lookupRcpt: (address, call = {}) =>
      track(() =>
        lookupRcpt(address, {
          ...deliverOptions(call),
          ...(call.from === undefined ? {} : { from: call.from }),
        }),
      ),
    resolve: (name, type = 'A') =>
      track(() => resolver.lookup(Name.parse(name.endsWith('.') ? name : `${name}.`), parseType(type))),
    close: async () => {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}
