/**
 * Shared pieces of the delivery tests: a scripted resolver with secure addresses for a set of
 * hosts, MX and TLSA record lines, and DeliverOptions for loopback receivers (mode dane,
 * insecure-MX policy dane, short timeouts, seeded randomness). Test support only.
 */
import { formatTlsa, tlsaFromCertificate } from '../../src/dane/index.ts';
import type { DeliverOptions, TransportProfile } from '../../src/delivery/index.ts';
import type { LabCert } from '../../src/lab/index.ts';
import { uniformTimeouts } from '../../src/smtp/client/index.ts';
import { seededRandom, systemClock } from '../../src/util/index.ts';
import { ScriptedResolver } from '../helpers/scripted-resolver.ts';

/** A resolver answering A (secure) and AAAA (secure NODATA) for each `[host, address]`. */
export function dnsWithHosts(hosts: readonly (readonly [string, string])[]): ScriptedResolver {
  const r = new ScriptedResolver();
  for (const [host, addr] of hosts) {
    r.set(`${host}.`, 'A', { kind: 'answer', records: [`${host}. 300 IN A ${addr}`] });
    r.set(`${host}.`, 'AAAA', { kind: 'nodata' });
  }
  return r;
}

/** Script the MX RRset of `domain`: `[preference, host]` pairs, secure unless said otherwise. */
export function setMx(
  r: ScriptedResolver,
  domain: string,
  hosts: readonly (readonly [number, string])[],
  status: 'secure' | 'insecure' = 'secure',
): void {
  r.set(`${domain}.`, 'MX', {
    kind: 'answer',
    status,
    records: hosts.map(([p, h]) => `${domain}. 300 IN MX ${p} ${h}.`),
  });
}

/** `3 1 1` (DANE-EE) or `2 <selector> 1` (DANE-TA) rdata for a certificate. */
export function tlsaEe(c: LabCert): string {
  return formatTlsa(tlsaFromCertificate(c.der, { usage: 3, selector: 1, matchingType: 1 }));
}
export function tlsaTa(c: LabCert, selector: 0 | 1 = 1): string {
  return formatTlsa(tlsaFromCertificate(c.der, { usage: 2, selector, matchingType: 1 }));
}

/** What a test may change: the transport profile's fields and the other DeliverOptions. */
export type Overrides = Partial<TransportProfile> & Partial<Omit<DeliverOptions, 'profile'>>;

/** DeliverOptions for loopback receivers on `port` (mode dane, short timeouts, seeded randomness). */
export function loopbackOptions(
  resolver: ScriptedResolver,
  port: number,
  extra: Overrides = {},
): DeliverOptions {
  const { resolver: r, clock, random, open, onLog, ...profile } = extra;
  return {
    resolver: r ?? resolver,
    clock: clock ?? systemClock,
    random: random ?? seededRandom(7),
    ...(open === undefined ? {} : { open }),
    ...(onLog === undefined ? {} : { onLog }),
    profile: {
      tlsMode: 'dane',
      insecureMx: 'dane',
      port,
      helo: 'client.test',
      timeouts: { ...uniformTimeouts(3000), connect: 2000, quit: 500 },
      ...profile,
    },
  };
}
