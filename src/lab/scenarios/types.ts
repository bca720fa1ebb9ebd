/**
 * The vocabulary of the lab's scenario catalogue: a destination domain described as data — its
 * zones (signed or not, DNSSEC algorithm, NSEC or NSEC3 with opt-out), MX records, MX hosts with
 * the certificate chain each presents, TLSA records described relative to those certificates
 * (RFC 6698 §2.1 usage, selector, matching type), broken signatures and DS records, and the
 * expected result in DESIGN.md's outcome vocabulary. Types only: no I/O, no behaviour.
 */
import type { ChainInclude } from '../pki/certs.ts';
import type { RrsetBreakage } from '../dns/breakage.ts';

/**
 * DNSSEC of a zone: unsigned, or signed with an algorithm (8, 13, 15) and a denial mode; NSEC3
 * zones may use extra hash iterations (default 0, as RFC 9276 §3.1 advises; more only to show
 * the checker a zone that ignores that advice).
 */
export type ZoneSigning =
  | 'unsigned'
  | {
      readonly algorithm: 8 | 13 | 15;
      readonly denial: 'nsec' | 'nsec3' | 'nsec3-optout';
      readonly iterations?: number;
    };

/** Signatures of one RRset broken after signing (the RRset becomes bogus, RFC 4035 §5.3). */
export interface BreakSpec {
  /** Owner name relative to the zone origin; `{port}` stands for the SMTP port. */
  readonly name: string;
  readonly type: 'MX' | 'TLSA' | 'A' | 'CNAME';
  readonly how: RrsetBreakage;
}

/** One zone of a scenario. */
export interface ZoneSpec {
  /** Absolute origin, e.g. `dane-ee-311.test.`. */
  readonly origin: string;
  readonly signing: ZoneSigning;
  /**
   * What the parent publishes for a signed zone: its DS (`match`, default), a DS that matches no
   * DNSKEY (`mismatch`: everything below is bogus, RFC 4035 §5.2) or no DS (`none`: an island).
   */
  readonly ds?: 'match' | 'mismatch' | 'none';
  /** Extra records in zone-file syntax, names relative to the origin; `{port}` = the SMTP port. */
  readonly records?: readonly string[];
  /** RRsets whose signatures are broken after signing. */
  readonly breaks?: readonly BreakSpec[];
}

/** Which certificate a TLSA record is computed from. */
export type TlsaTarget =
  /** The server's leaf certificate. */
  | 'leaf'
  /** The lab's private root CA. */
  | 'ca'
  /** The lab's intermediate CA. */
  | 'intermediate'
  /** The leaf the server presented before a (botched) renewal: another key, not sent any more. */
  | 'retired-leaf';

/** A TLSA record described relative to the certificates (RFC 6698 §2.1, RFC 7218 acronyms). */
export interface TlsaSpec {
  /** 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE. */
  readonly usage: 0 | 1 | 2 | 3;
  /** 0 Cert, 1 SPKI. */
  readonly selector: 0 | 1;
  /** 0 Full, 1 SHA2-256, 2 SHA2-512. */
  readonly mtype: 0 | 1 | 2;
  readonly of: TlsaTarget;
  /** Flip a bit of the association data: a record that matches nothing. */
  readonly corrupt?: boolean;
}

/** The certificate a host presents. */
export interface CertSpec {
  /** Who signs the leaf: itself, the lab's root CA, or the lab's intermediate CA. */
  readonly issuer: 'self' | 'ca' | 'intermediate';
  /** subjectAltName dNSNames (the first is also the CN); default: the host name. */
  readonly names?: readonly string[];
  /** The leaf's validity ended a month ago. */
  readonly expired?: boolean;
  /** Certificates sent in the handshake (default `leaf+intermediates`; `full` adds the root CA). */
  readonly send?: ChainInclude;
}

/** An MX host: a receiving SMTP server on its own loopback address. */
export interface HostSpec {
  /** Host name without the trailing dot, e.g. `mx.dane-ee-311.test`. */
  readonly name: string;
  /** Without a certificate the server offers no STARTTLS. */
  readonly cert?: CertSpec;
  /** false: a certificate exists but STARTTLS is not offered (default true). */
  readonly starttls?: boolean;
  /** TLSA records at `_<port>._tcp.<tlsaAt>`. */
  readonly tlsa?: readonly TlsaSpec[];
  /** Name the TLSA records are published at (default: `name`; an alias for RFC 7672 §2.2.3). */
  readonly tlsaAt?: string;
  /** Port of the TLSA owner name `_<port>._tcp.` (default: the SMTP port; another one is a mistake). */
  readonly tlsaPort?: number;
  /** Names that are CNAMEs to this host (the MX record may name one of them). */
  readonly aliases?: readonly string[];
  /** Refuse every recipient with 550 5.1.1. */
  readonly rejectRecipients?: boolean;
}

/** The MX RRset of the destination domain. */
export type MxSpec =
  | readonly { readonly preference: number; readonly host: string }[]
  /** `0 .` (RFC 7505). */
  | 'null'
  /** No MX RRset (NODATA): the domain itself is the host (RFC 5321 §5.1). */
  | 'none'
  /** The domain does not exist. */
  | 'nxdomain';

/** Outcome of `send` in DESIGN.md's vocabulary (lookup-rcpt maps it: accepted/rejected/deferred). */
export type ExpectedOutcome = 'delivered' | 'deferred' | 'bounced';

/** TLS of the attempt that decided the outcome; null when no attempt decided it. */
export type ExpectedTls = 'dane' | 'encrypted' | 'none' | null;

/** What a delivery to the scenario's domain must produce. */
export interface Expectation {
  readonly outcome: ExpectedOutcome;
  /** Enhanced status code of the outcome (RFC 3463), when it matters. */
  readonly enhanced?: string;
  readonly tls: ExpectedTls;
  /** Host whose receiver gets the message (or answers RCPT); null when nothing is accepted. */
  readonly landsOn: string | null;
  /** SNI name the receiver sees (default: `landsOn`). */
  readonly sni?: string;
  /**
   * Transcript lines that must appear, in this order. `…` matches anything; `{port}` is the
   * SMTP port and `{ip:HOST}` the address of HOST.
   */
  readonly log: readonly string[];
  /** Transcript lines that must not appear (same syntax). */
  readonly notLog?: readonly string[];
  /** Hosts that must see no SMTP session at all. */
  readonly untouched?: readonly string[];
  /** No TLSA query may reach DNS for any host of the scenario (RFC 7672 §2.2.2). */
  readonly noTlsaQuery?: boolean;
}

/** One scenario of the catalogue. */
export interface Scenario {
  /** Short stable identifier, e.g. `ee-311`. */
  readonly id: string;
  /** One-line description. */
  readonly title: string;
  /** Destination domain without the trailing dot. */
  readonly domain: string;
  readonly zones: readonly ZoneSpec[];
  readonly mx: MxSpec;
  readonly hosts: readonly HostSpec[];
  readonly expect: Expectation;
  /** Local part of the recipient (default `user`). */
  readonly localPart?: string;
}
