/**
 * Small builders that keep the scenario catalogue readable: signing presets, TLSA shorthands,
 * the usual one-domain-one-MX scenario, and the transcript lines DESIGN.md prescribes for a
 * DANE success, a DANE failure and optional TLS. Data only; no I/O.
 */
import type {
  Expectation,
  HostSpec,
  Scenario,
  TlsaSpec,
  TlsaTarget,
  ZoneSigning,
  ZoneSpec,
} from './types.ts';

/** Signing presets. */
export const SIGNED = {
  nsec13: { algorithm: 13, denial: 'nsec' },
  nsec3_13: { algorithm: 13, denial: 'nsec3' },
  nsec15: { algorithm: 15, denial: 'nsec' },
  nsec3_15: { algorithm: 15, denial: 'nsec3' },
  nsec8: { algorithm: 8, denial: 'nsec' },
  nsec3_8: { algorithm: 8, denial: 'nsec3' },
  optout13: { algorithm: 13, denial: 'nsec3-optout' },
} as const satisfies Record<string, ZoneSigning>;

/** A TLSA record `usage selector mtype` computed from `of`. */
export function tlsa(
  usage: TlsaSpec['usage'],
  selector: TlsaSpec['selector'],
  mtype: TlsaSpec['mtype'],
  of: TlsaTarget,
  opts: { corrupt?: boolean } = {},
): TlsaSpec {
  return { usage, selector, mtype, of, ...(opts.corrupt === true ? { corrupt: true } : {}) };
}

/** The record RFC 7671 §8 recommends: DANE-EE(3) SPKI(1) SHA2-256(1) of the leaf. */
export const EE_311: TlsaSpec = tlsa(3, 1, 1, 'leaf');

/** Transcript of a DANE-authenticated session (DESIGN.md). */
export function daneOkLog(host: string): string[] {
  return [
    `Connecting to [{ip:${host}}]:{port} (DNSSEC)`,
    'X.509: …',
    'DANE: validated successfully',
    'Connection is now using TLS',
  ];
}

/** Transcript of a host that fails DANE authentication. */
export function daneFailLog(host: string): string[] {
  return [`Connecting to [{ip:${host}}]:{port} (DNSSEC)`, 'X.509: …', 'DANE: validation failed: …'];
}

/** Options of `singleMx`. */
export interface SingleMxOptions {
  signing?: ZoneSigning;
  /** Host fields besides the name (default: a certificate from the lab CA). */
  host?: Omit<HostSpec, 'name'>;
  /** More zone settings (records, breaks, ds). */
  zone?: Omit<ZoneSpec, 'origin' | 'signing'>;
  expect: (host: string, domain: string) => Expectation;
  localPart?: string;
}

/** The common shape: domain `<id>.test` with one zone and one MX host `mx.<id>.test`. */
export function singleMx(id: string, title: string, opts: SingleMxOptions): Scenario {
  const domain = `${id}.test`;
  const host = `mx.${domain}`;
  return {
    id,
    title,
    domain,
    zones: [{ origin: `${domain}.`, signing: opts.signing ?? SIGNED.nsec13, ...opts.zone }],
    mx: [{ preference: 10, host }],
    hosts: [{ name: host, ...(opts.host ?? { cert: { issuer: 'ca' } }) }],
    expect: opts.expect(host, domain),
    ...(opts.localPart === undefined ? {} : { localPart: opts.localPart }),
  };
}

/** Expected: delivered over DANE-authenticated TLS to `host`. */
export function deliveredDane(host: string, extra: Partial<Expectation> = {}): Expectation {
  return { outcome: 'delivered', tls: 'dane', landsOn: host, log: daneOkLog(host), ...extra };
}

/** Expected: deferred with 4.7.5 after `host` failed DANE authentication; nothing lands. */
export function deferredDane(host: string, extra: Partial<Expectation> = {}): Expectation {
  return {
    outcome: 'deferred',
    enhanced: '4.7.5',
    tls: null,
    landsOn: null,
    log: [...daneFailLog(host), 'Deferred: 4.7.5 …'],
    notLog: ['Connection is now using TLS'],
    ...extra,
  };
}
