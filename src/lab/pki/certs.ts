/**
 * The lab's private PKI: root and intermediate CAs and server leaves, built in-process (keys.ts,
 * cert-der.ts) — no openssl CLI needed — and the chains a server sends. Implements the profile
 * of RFC 5280 §4.2.1 (keyUsage, basicConstraints, subjectAltName, extKeyUsage) for CAs and TLS
 * server leaves. Never reads the clock (validity is passed in) and never touches the network or
 * the file system.
 */
import {
  BasicConstraints,
  ExtendedKeyUsage,
  GeneralName,
  KeyUsage,
  KeyUsageFlags,
  SubjectAlternativeName,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_kp_serverAuth,
} from '@peculiar/asn1-x509';
import type { Random } from '../../util/index.ts';
import { buildCert, checkDnsName, extension, type LabCert } from './cert-der.ts';
import { createKeyPair, LabCertError, type LabKey, type LabKeyType } from './keys.ts';

export * from './keys.ts';
export type { LabCert } from './cert-der.ts';

/** Options of `createCa`. Times are milliseconds since the epoch. */
export interface CreateCaOptions {
  /** Common name of the CA. */
  name: string;
  key?: LabKey;
  /** Key type when `key` is absent (default ec-p256). */
  keyType?: LabKeyType;
  /** Issuing CA; absent for a self-signed root. */
  issuer?: LabCert;
  notBefore: number;
  notAfter: number;
  /** basicConstraints pathLenConstraint. */
  pathLen?: number;
  /**
   * Leave the cA BOOLEAN out of basicConstraints (DER then encodes cA = FALSE): a "CA" that every
   * RFC 5280 verifier must refuse as an issuer. keyCertSign stays set, so it is the only defect.
   */
  omitCaFlag?: boolean;
  serial?: bigint;
  random?: Random;
}

/** Create a root CA (self-signed) or, with `issuer`, an intermediate CA. */
export function createCa(opts: CreateCaOptions): LabCert {
  const key = opts.key ?? createKeyPair(opts.keyType ?? 'ec-p256');
  if (opts.pathLen !== undefined && (!Number.isInteger(opts.pathLen) || opts.pathLen < 0)) {
    throw new LabCertError(`pathLen must be a non-negative integer, got ${opts.pathLen}`);
  }
  /*
   * RFC 5280 §4.2.1.9: "Conforming CAs MUST include this extension in all CA certificates that
   * contain public keys used to validate digital signatures on certificates and MUST mark the
   * extension as critical in such certificates."
   */
  const basic = new BasicConstraints({ cA: opts.omitCaFlag !== true });
  if (opts.pathLen !== undefined && opts.omitCaFlag !== true) basic.pathLenConstraint = opts.pathLen;
  const extensions = [
    extension(id_ce_basicConstraints, true, basic),
    /* RFC 5280 §4.2.1.3: "When present, conforming CAs SHOULD mark this extension as critical." */
    extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
  ];
  return buildCert({
    commonName: opts.name,
    key,
    issuer: opts.issuer,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    serial: opts.serial,
    random: opts.random,
    extensions,
    dnsNames: [],
    isCa: opts.omitCaFlag !== true,
  });
}

/** Options of `issueLeaf`. Times are milliseconds since the epoch. */
export interface IssueLeafOptions {
  /** Issuing CA, or 'self' for a self-signed leaf (typical for DANE-EE). */
  issuer: LabCert | 'self';
  key?: LabKey;
  /** Key type when `key` is absent (default ec-p256). */
  keyType?: LabKeyType;
  /** Subject CN; defaults to the first DNS name. */
  commonName?: string;
  /** subjectAltName dNSNames (A-labels; a wildcard only as `*.` + name). */
  dnsNames: string[];
  notBefore: number;
  notAfter: number;
  serial?: bigint;
  random?: Random;
}

/** Issue a TLS server certificate (serverAuth, SAN dNSNames). */
export function issueLeaf(opts: IssueLeafOptions): LabCert {
  const key = opts.key ?? createKeyPair(opts.keyType ?? 'ec-p256');
  for (const name of opts.dnsNames) checkDnsName(name);
  const commonName = opts.commonName ?? opts.dnsNames[0];
  /* RFC 5280 §4.2.1.3: digitalSignature for (EC)DHE key exchange; keyEncipherment for RSA transport. */
  const usage =
    key.type === 'rsa-2048'
      ? KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment
      : KeyUsageFlags.digitalSignature;
  const extensions = [
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
    extension(id_ce_keyUsage, true, new KeyUsage(usage)),
    extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_serverAuth])),
  ];
  if (opts.dnsNames.length > 0) {
    /*
     * RFC 5280 §4.2.1.6: "If the subject field contains an empty sequence, then the issuing CA
     * MUST include a subjectAltName extension that is marked as critical."
     */
    const names = opts.dnsNames.map((dNSName) => new GeneralName({ dNSName }));
    extensions.push(extension(id_ce_subjectAltName, commonName === '', new SubjectAlternativeName(names)));
  }
  return buildCert({
    commonName,
    key,
    issuer: opts.issuer === 'self' ? undefined : opts.issuer,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    serial: opts.serial,
    random: opts.random,
    extensions,
    dnsNames: opts.dnsNames,
    isCa: false,
  });
}

/** Which certificates a server sends: the leaf alone, the leaf and intermediates, or all. */
export type ChainInclude = 'leaf' | 'leaf+intermediates' | 'full';

/** The certificates from `leaf` up to its root, leaf first, as `include` selects. */
export function chainOf(leaf: LabCert, opts: { include?: ChainInclude } = {}): LabCert[] {
  const include = opts.include ?? 'leaf+intermediates';
  const out: LabCert[] = [leaf];
  if (include === 'leaf') return out;
  for (let c = leaf.issuer; c !== undefined; c = c.issuer) {
    if (c.issuer === undefined && include !== 'full') break;
    out.push(c);
  }
  return out;
}

/** The chain a server sends, as concatenated PEM (default: leaf + intermediates). */
export function chainPem(leaf: LabCert, opts: { include?: ChainInclude } = {}): string {
  return chainOf(leaf, opts)
    .map((c) => c.pem)
    .join('');
}

/** The chain a server sends, as DER certificates (leaf first). */
export function chainDer(leaf: LabCert, opts: { include?: ChainInclude } = {}): Uint8Array[] {
  return chainOf(leaf, opts).map((c) => c.der);
}
