/**
 * The records `dane-mta tlsa` prints: TLSA records for an MX host from its certificate or key
 * (RFC 6698 §2.1; RFC 7671 §8 advice "3 1 1", and "2 1 1" for the issuing CA), the rollover pair
 * that lets a key change without an outage (RFC 7671 §8.1: publish the next key's record beside
 * the current one before the server switches), and the owner name `_<port>._tcp.<host>.`
 * (RFC 6698 §3). PEM text in, records out: no file I/O (the CLI reads the files), no clock.
 * Must never print a record for a PKIX usage (0/1: unusable for SMTP, RFC 7672 §3.1.3) or derive
 * anything from private key material but its public half.
 */
import { formatTlsa, tlsaFromCertificate, tlsaFromPublicKey, type TlsaRecord } from '../dane/index.ts';
import { toALabels } from '../delivery/index.ts';
import { describeError, equalBytes } from '../util/index.ts';
import { decodePem, parseCertificate, verifyIssuedBy, type Certificate } from '../x509/index.ts';
import { CheckError } from './types.ts';

/** A PEM file: its name (for messages) and its text. */
export interface PemSource {
  readonly label: string;
  readonly text: string;
}

/** What to make. */
export interface TlsaPlanOptions {
  /** 2 (DANE-TA) or 3 (DANE-EE, default). */
  readonly usage?: number;
  /** 0 (full certificate) or 1 (SPKI, default). */
  readonly selector?: number;
  /** 0 (full), 1 (SHA2-256, default) or 2 (SHA2-512). */
  readonly mtype?: number;
  /** MX host name (default: the certificate's first DNS name). */
  readonly host?: string;
  /** SMTP port (default 25). */
  readonly port?: number;
  /** Certificates holding the leaf's issuing CA: adds a DANE-TA record for it. */
  readonly chain?: PemSource;
  /** The next certificate or key: adds its record (the rollover pair). */
  readonly next?: PemSource;
}

/** One record to publish. */
export interface PlannedRecord {
  /** `current`, `next` (the rollover key) or `issuer` (the CA that issued the current certificate). */
  readonly role: 'current' | 'next' | 'issuer';
  readonly owner: string;
  readonly record: TlsaRecord;
  /** `_25._tcp.mx.example.org. IN TLSA 3 1 1 …` */
  readonly line: string;
  /** The file it was made from. */
  readonly source: string;
  /** Subject and end of validity of the certificate, when it was one. */
  readonly subject: string | null;
  readonly notAfter: string | null;
}

type Material =
  | { kind: 'cert'; cert: Certificate; all: Certificate[]; label: string }
  | { kind: 'key'; pem: string; label: string };

const bad = (message: string): CheckError => new CheckError('CHECK_ERR_OPTIONS', message);

const encrypted = (src: PemSource): CheckError =>
  bad(`${src.label} holds an encrypted private key: give the certificate or the public key instead`);

/** The certificates (leaf first) or the key of a PEM file. */
function materialOf(src: PemSource): Material {
  if (/Proc-Type: 4,ENCRYPTED/.test(src.text)) throw encrypted(src);
  let blocks;
  try {
    blocks = decodePem(src.text);
  } catch (e) {
    throw bad(`${src.label}: ${describeError(e)}`);
  }
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
  if (certs.length > 0) {
    try {
      const all = certs.map((b) => parseCertificate(b.der));
      return { kind: 'cert', cert: all[0] as Certificate, all, label: src.label };
    } catch (e) {
      throw bad(`${src.label}: ${describeError(e)}`);
    }
  }
  if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY')) throw encrypted(src);
  if (blocks.some((b) => /(^|\s)(PRIVATE KEY|PUBLIC KEY)$/.test(b.label)))
    return { kind: 'key', pem: src.text, label: src.label };
  throw bad(`${src.label} holds no PEM certificate or key`);
}

function recordOf(
  m: Material,
  params: { usage: number; selector: number; matchingType: number },
): TlsaRecord {
  if (m.kind === 'cert') return tlsaFromCertificate(m.cert.der, params);
  if (params.selector === 0) {
    throw bad(
      `selector 0 (the full certificate) needs a certificate, and ${m.label} holds only a key; use --selector 1`,
    );
  }
  try {
    return tlsaFromPublicKey(m.pem, params);
  } catch (e) {
    throw bad(`${m.label}: ${describeError(e)}`);
  }
}

/** The owner name: `_<port>._tcp.<host>.` for the given host or the certificate's first DNS name. */
function ownerOf(m: Material, opts: TlsaPlanOptions): string {
  const fromCert =
    m.kind === 'cert'
      ? [...m.cert.dnsNames, ...m.cert.commonNames].find((n) => !n.startsWith('*'))
      : undefined;
  const host = opts.host ?? fromCert;
  if (host === undefined) throw bad(`${m.label} names no host: give --host NAME (the MX host name)`);
  const name = toALabels(host);
  if (name === undefined || name.labelCount < 2) throw bad(`--host: '${host}' is not a host name`);
  return `_${opts.port ?? 25}._tcp.${name.toString()}`;
}

/** The CA in `chain` that issued `leaf` (by name and signature), or, for a bare key, the first CA. */
function issuerIn(chain: Material, leaf: Material): Certificate {
  if (chain.kind !== 'cert') throw bad(`--chain ${chain.label} holds no certificates`);
  const others = chain.all.filter((c) => leaf.kind !== 'cert' || !equalBytes(c.der, leaf.cert.der));
  if (leaf.kind === 'cert') {
    const found = others.find((c) => verifyIssuedBy(leaf.cert, c));
    if (found === undefined) {
      throw bad(
        `no certificate in ${chain.label} issued ${leaf.label} (its issuer is ${leaf.cert.issuer.oneline})`,
      );
    }
    return found;
  }
  const ca = others.find((c) => c.basicConstraints?.cA === true);
  if (ca === undefined) throw bad(`${chain.label} holds no CA certificate`);
  return ca;
}

function checkParams(usage: number, selector: number, mtype: number): void {
  if (usage === 0 || usage === 1) {
    throw bad(
      `--usage ${usage}: PKIX-TA/PKIX-EE records are unusable for SMTP (RFC 7672 §3.1.3); use 3 (DANE-EE) or 2 (DANE-TA)`,
    );
  }
  if (usage !== 2 && usage !== 3) throw bad(`--usage ${usage}: must be 3 (DANE-EE) or 2 (DANE-TA)`);
  if (selector !== 0 && selector !== 1)
    throw bad(`--selector ${selector}: must be 0 (certificate) or 1 (public key)`);
  if (mtype !== 0 && mtype !== 1 && mtype !== 2)
    throw bad(`--mtype ${mtype}: must be 0 (full), 1 (SHA2-256) or 2 (SHA2-512)`);
}

function planned(
  role: PlannedRecord['role'],
  owner: string,
  m: Material,
  record: TlsaRecord,
  cert?: Certificate,
): PlannedRecord {
  const c = cert ?? (m.kind === 'cert' ? m.cert : undefined);
  return {
    role,
    owner,
    record,
    line: `${owner} IN TLSA ${formatTlsa(record)}`,
    source: m.label,
    subject: c === undefined ? null : c.subject.oneline,
    notAfter: c === undefined ? null : new Date(c.notAfter).toISOString(),
  };
}

/**
 * The records for `current` (a certificate or key, PEM), and with `next` and `chain` the
 * rollover record and the issuing CA's DANE-TA record.
 * @throws CheckError (CHECK_ERR_OPTIONS) with a one-line reason for unusable input.
 */
export function tlsaPlan(current: PemSource, opts: TlsaPlanOptions = {}): PlannedRecord[] {
  const usage = opts.usage ?? 3;
  const selector = opts.selector ?? 1;
  const matchingType = opts.mtype ?? 1;
  checkParams(usage, selector, matchingType);
  const cur = materialOf(current);
  const owner = ownerOf(cur, opts);
  const out: PlannedRecord[] = [];
  const taOnly = usage === 2 && opts.chain !== undefined;
  if (taOnly && opts.next !== undefined) {
    throw bad(
      '--next with --usage 2 --chain: the CA record does not change with the server key; drop --next',
    );
  }
  if (!taOnly) out.push(planned('current', owner, cur, recordOf(cur, { usage, selector, matchingType })));
  if (opts.next !== undefined) {
    const next = materialOf(opts.next);
    out.push(planned('next', owner, next, recordOf(next, { usage, selector, matchingType })));
  }
  if (opts.chain !== undefined) {
    const chain = materialOf(opts.chain);
    const ca = issuerIn(chain, cur);
    const rec = tlsaFromCertificate(ca.der, { usage: 2, selector, matchingType });
    out.push(planned('issuer', owner, chain, rec, ca));
  }
  return out;
}
