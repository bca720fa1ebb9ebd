/**
 * TLS policy for one MX host (DESIGN.md "TLS modes", RFC 7672 §2.2): from the transport's TLS
 * mode, the security of the MX RRset, the insecure-MX policy and the host's DANE state, decide
 * whether to connect at all and how — STARTTLS never / when offered / mandatory, with no
 * authentication, PKIX or DANE, and whether a failed handshake may be retried in plaintext.
 * Pure: no I/O. The only module that maps modes to requirements; what a skipped host means for
 * the delivery is classify.ts's to say.
 */
import type { Proof } from '../dns/dnssec/index.ts';
import type { SecureTlsa, TlsaRecord } from '../dane/index.ts';
import type { HostSkipFact } from './classify.ts';

/** The nine TLS modes of DESIGN.md. */
export const TLS_MODES = [
  'disabled',
  'optional',
  'optional_verify',
  'require',
  'require_verify',
  'dane',
  'dane_require',
  'dane_fallback_require',
  'dane_fallback_require_verify',
] as const;
export type TlsMode = (typeof TLS_MODES)[number];

/** What to do with hosts reached through an insecure MX RRset (RFC 7672 §2.2.1 makes DANE a MAY). */
export const INSECURE_MX_POLICIES = ['dane', 'encrypt', 'may'] as const;
export type InsecureMxPolicy = (typeof INSECURE_MX_POLICIES)[number];

export function isTlsMode(text: string): text is TlsMode {
  return (TLS_MODES as readonly string[]).includes(text);
}

export function isInsecureMxPolicy(text: string): text is InsecureMxPolicy {
  return (INSECURE_MX_POLICIES as readonly string[]).includes(text);
}

/** The DANE state of one host, as the DNS side found it. */
export type HostDane =
  | { kind: 'tlsa'; base: string; tlsa: SecureTlsa; usable: TlsaRecord[] }
  | { kind: 'none'; reason: string }
  | { kind: 'failed'; reason: string };

export type Authentication = 'none' | 'pkix' | 'dane';

export type HostPolicy =
  /** Not tried at all; classify.ts's `decideHostSkip` says what that means. */
  | { action: 'skip'; skip: HostSkipFact & { kind: 'tlsa-failed' | 'dane-required' } }
  | {
      action: 'connect';
      starttls: 'never' | 'if-offered' | 'required';
      auth: Authentication;
      /** A failed TLS handshake may be retried in plaintext (only `optional` semantics). */
      plaintextFallback: boolean;
      /** SNI and DANE-TA reference name. */
      servername: string;
      minTlsVersion?: 'TLSv1.2';
      /** The secure TLSA RRset when `auth` is `dane` (verifyDanePeer picks the usable records). */
      tlsa?: SecureTlsa;
      /** The transcript line explaining the choice, when there is one to say. */
      note?: string;
      /** TLSA records exist but none is usable (RFC 7672 §2.2: TLS without authentication). */
      unusableTlsa?: boolean;
    };

interface Inputs {
  mode: TlsMode;
  /** Destination domain (A-labels), for the transcript. */
  domain: string;
  /** MX host name (A-labels). */
  host: string;
  mxStatus: Proof;
  insecureMx: InsecureMxPolicy;
  dane: HostDane;
}

const OPTIONAL = { starttls: 'if-offered', auth: 'none', plaintextFallback: true } as const;
const REQUIRE = { starttls: 'required', auth: 'none', plaintextFallback: false } as const;
const REQUIRE_VERIFY = {
  starttls: 'required',
  auth: 'pkix',
  plaintextFallback: false,
  minTlsVersion: 'TLSv1.2',
} as const;

/** Decide how (and whether) to connect to one host. */
export function decideHostPolicy(i: Inputs): HostPolicy {
  const sni = { servername: i.host };
  switch (i.mode) {
    case 'disabled':
      return { action: 'connect', starttls: 'never', auth: 'none', plaintextFallback: false, ...sni };
    case 'optional':
      return { action: 'connect', ...OPTIONAL, ...sni };
    case 'optional_verify':
      return {
        action: 'connect',
        starttls: 'if-offered',
        auth: 'pkix',
        plaintextFallback: true,
        minTlsVersion: 'TLSv1.2',
        ...sni,
      };
    case 'require':
      return { action: 'connect', ...REQUIRE, ...sni };
    case 'require_verify':
      return { action: 'connect', ...REQUIRE_VERIFY, ...sni };
    default:
      return danePolicy(i);
  }
}

function danePolicy(i: Inputs): HostPolicy {
  // RFC 7672 §2.2: "If the TLSA record lookup fails … the SMTP client MUST NOT deliver to that host."
  if (i.dane.kind === 'failed')
    return { action: 'skip', skip: { kind: 'tlsa-failed', reason: i.dane.reason } };
  const mxInsecure = i.mxStatus !== 'secure';
  const daneUsable = i.dane.kind === 'tlsa' && !(mxInsecure && i.insecureMx === 'may');
  if (i.dane.kind === 'tlsa' && daneUsable) {
    const base = { servername: i.dane.base, minTlsVersion: 'TLSv1.2' as const };
    if (mxInsecure && i.insecureMx === 'encrypt') {
      return {
        action: 'connect',
        ...REQUIRE,
        ...base,
        note: `DANE: insecure MX for ${i.domain} (TLS required, not authenticated)`,
      };
    }
    if (i.dane.usable.length === 0) {
      // RFC 7672 §2.2: with only unusable TLSA records TLS is still mandatory, without authentication.
      return {
        action: 'connect',
        ...REQUIRE,
        ...base,
        note: `DANE: no usable TLSA records for ${i.dane.base} (TLS required, not authenticated)`,
        unusableTlsa: true,
      };
    }
    // RFC 7672 §2.2.1: the host's own secure TLSA records authenticate it, but the MX RRset that
    // led here could have been forged (to reach an attacker's own DANE host): say so.
    const mxNote = mxInsecure
      ? {
          note: `DANE: MX RRset of ${i.domain} is ${i.mxStatus}; ${i.host} is authenticated by its own TLSA records`,
        }
      : {};
    return {
      action: 'connect',
      starttls: 'required',
      auth: 'dane',
      plaintextFallback: false,
      tlsa: i.dane.tlsa,
      ...base,
      ...mxNote,
    };
  }
  const why = mxInsecure || i.dane.kind !== 'none' ? `insecure name ${i.domain}` : i.dane.reason;
  const sni = { servername: i.host };
  switch (i.mode) {
    case 'dane_require':
      return {
        action: 'skip',
        skip: { kind: 'dane-required', reason: `DANE required but not available: ${why}` },
      };
    case 'dane_fallback_require':
      return { action: 'connect', ...REQUIRE, ...sni, note: `DANE: ${why} (falling back to mandatory TLS)` };
    case 'dane_fallback_require_verify':
      return {
        action: 'connect',
        ...REQUIRE_VERIFY,
        ...sni,
        note: `DANE: ${why} (falling back to verified TLS)`,
      };
    default:
      return { action: 'connect', ...OPTIONAL, ...sni, note: `DANE: ${why} (falling back to optional TLS)` };
  }
}
