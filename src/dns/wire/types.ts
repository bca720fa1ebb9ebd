/**
 * DNS code points (RFC 1035 §3.2, RFC 6895 registries) as `as const` objects with their
 * mnemonics, so code reads `RRType.TLSA` and text output prints `TLSA` or `TYPE65534`.
 */

/** RFC 1035 §4.2.1: "The Internet supports name server access using TCP [RFC-793] on server port 53". */
export const DNS_PORT = 53;

/** Resource record types used by dane-mta (others are kept as raw RFC 3597 data). */
export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  HINFO: 13,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  ANY: 255,
  CAA: 257,
} as const;
export type RRTypeName = keyof typeof RRType;

/** Classes (RFC 1035 §3.2.4, §3.2.5). */
export const RRClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;

/** Response codes, including the extended ones carried in OPT (RFC 6891 §6.1.3). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  BADVERS: 16,
} as const;

/** Opcodes (RFC 1035 §4.1.1, RFC 6895). */
export const Opcode = { QUERY: 0, IQUERY: 1, STATUS: 2, NOTIFY: 4, UPDATE: 5 } as const;

/**
 * DNSSEC algorithm numbers (RFC 4034 Appendix A.1 and the IANA "DNS Security Algorithm Numbers"
 * registry), defined here once: the DNSKEY, DS and RRSIG codecs parse their mnemonics (with
 * '-' for '_': `RSASHA1-NSEC3-SHA1`) and dns/dnssec re-exports them.
 */
export const DnssecAlgorithm = {
  RSAMD5: 1,
  DH: 2,
  DSA: 3,
  RSASHA1: 5,
  DSA_NSEC3_SHA1: 6,
  RSASHA1_NSEC3_SHA1: 7,
  RSASHA256: 8,
  RSASHA512: 10,
  ECC_GOST: 12,
  ECDSAP256SHA256: 13,
  ECDSAP384SHA384: 14,
  ED25519: 15,
  ED448: 16,
  INDIRECT: 252,
  PRIVATEDNS: 253,
  PRIVATEOID: 254,
} as const;
export type DnssecAlgorithmName = keyof typeof DnssecAlgorithm;

/** EDNS option codes (RFC 6891 registry). */
export const EdnsOption = { COOKIE: 10, PADDING: 12, EDE: 15 } as const;

function invert(obj: Readonly<Record<string, number>>): Map<number, string> {
  return new Map(Object.entries(obj).map(([k, v]) => [v, k]));
}

const TYPE_NAMES = invert(RRType);
const CLASS_NAMES = invert(RRClass);
const RCODE_NAMES = invert(Rcode);

/** `TLSA` for 52, `TYPE65534` for an unknown type (RFC 3597 §5). */
export function typeToString(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** Parse `TLSA` or `TYPE52` (case-insensitive); undefined when neither. */
export function typeFromString(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = (RRType as Readonly<Record<string, number>>)[upper];
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(upper);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n <= 0xffff ? n : undefined;
}

/** `IN` for 1, `CLASS42` otherwise (RFC 3597 §5). */
export function classToString(cls: number): string {
  return CLASS_NAMES.get(cls) ?? `CLASS${cls}`;
}

/** Parse `IN` or `CLASS1`; undefined when neither. */
export function classFromString(text: string): number | undefined {
  const upper = text.toUpperCase();
  const known = (RRClass as Readonly<Record<string, number>>)[upper];
  if (known !== undefined) return known;
  const m = /^CLASS(\d{1,5})$/.exec(upper);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return n <= 0xffff ? n : undefined;
}

/** `NXDOMAIN` for 3, `RCODE23` otherwise. */
export function rcodeToString(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}
