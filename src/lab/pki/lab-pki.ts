/**
 * Certificates and TLSA records of the scenario catalogue: one private root CA and one
 * intermediate CA for the whole simulated Internet, a leaf per MX host as its CertSpec says
 * (issuer, names, expired, chain sent), the "retired" leaf of a botched renewal, and TLSA
 * association data computed from them (RFC 6698 §2.1.2 selector, §2.1.3 matching type).
 * Time is passed in; never reads the clock, never touches the network or the file system.
 */
import { digest } from '../../x509/index.ts';
import { toHex } from '../../util/index.ts';
import { chainPem, createCa, issueLeaf, type LabCert } from './certs.ts';
import type { ReceiverTlsOptions } from '../smtp/receivers.ts';
import { LabScenarioError } from '../scenarios/error.ts';
import type { CertSpec, HostSpec, TlsaSpec } from '../scenarios/types.ts';

const DAY = 86_400_000;

/** The lab's private CAs. */
export interface LabPki {
  readonly root: LabCert;
  readonly intermediate: LabCert;
  /** Milliseconds since the epoch the certificates were made for. */
  readonly now: number;
}

/** A root CA and an intermediate CA valid from a day before `now` for a year. */
export function createLabPki(now: number): LabPki {
  const root = createCa({
    name: 'dane-mta lab Root CA',
    notBefore: now - 2 * DAY,
    notAfter: now + 365 * DAY,
    pathLen: 1,
  });
  const intermediate = createCa({
    name: 'dane-mta lab Issuing CA 1',
    issuer: root,
    notBefore: now - 2 * DAY,
    notAfter: now + 365 * DAY,
    pathLen: 0,
  });
  return { root, intermediate, now };
}

/** The certificates of one host: what it presents, and the leaf it presented before renewal. */
export interface HostCerts {
  readonly leaf: LabCert;
  /** Only made when a TLSA record of the host refers to it. */
  readonly retired?: LabCert;
  readonly send: NonNullable<CertSpec['send']>;
}

function issuerOf(pki: LabPki, spec: CertSpec): LabCert | 'self' {
  if (spec.issuer === 'self') return 'self';
  return spec.issuer === 'ca' ? pki.root : pki.intermediate;
}

/** Make the leaf (and, when a TLSA record needs it, a retired leaf) for a host; none without `cert`. */
export function hostCerts(pki: LabPki, host: HostSpec): HostCerts | undefined {
  const spec = host.cert;
  if (spec === undefined) return undefined;
  const names = spec.names ?? [host.name];
  const validity =
    spec.expired === true
      ? { notBefore: pki.now - 120 * DAY, notAfter: pki.now - 30 * DAY }
      : { notBefore: pki.now - DAY, notAfter: pki.now + 90 * DAY };
  const issuer = issuerOf(pki, spec);
  const leaf = issueLeaf({ issuer, dnsNames: [...names], ...validity });
  const send = spec.send ?? 'leaf+intermediates';
  if (!(host.tlsa ?? []).some((t) => t.of === 'retired-leaf')) return { leaf, send };
  // The certificate of last year, with its own key: a stale TLSA record still names it.
  const retired = issueLeaf({
    issuer,
    dnsNames: [...names],
    notBefore: pki.now - 400 * DAY,
    notAfter: pki.now - 35 * DAY,
  });
  return { leaf, retired, send };
}

/** What a receiver needs to present the host's chain. */
export function receiverTls(certs: HostCerts): ReceiverTlsOptions {
  return { key: certs.leaf.key.privateKey, certChainPem: chainPem(certs.leaf, { include: certs.send }) };
}

function certFor(pki: LabPki, certs: HostCerts | undefined, of: TlsaSpec['of']): LabCert {
  if (of === 'ca') return pki.root;
  if (of === 'intermediate') return pki.intermediate;
  const cert = of === 'leaf' ? certs?.leaf : certs?.retired;
  if (cert === undefined) {
    throw new LabScenarioError('LAB_ERR_SCENARIO', `a TLSA record of the ${of} needs a host certificate`);
  }
  return cert;
}

/**
 * RFC 6698 §2.1.2: selector 0 "Full certificate: the Certificate binary structure as defined in
 * [RFC5280]", 1 "SubjectPublicKeyInfo: DER-encoded binary structure as defined in [RFC5280]".
 * §2.1.3: matching type 0 "Exact match on selected content", 1 "SHA-256 hash of selected
 * content", 2 "SHA-512 hash of selected content".
 */
export function associationData(cert: LabCert, spec: TlsaSpec): Uint8Array {
  const selected = spec.selector === 0 ? cert.der : cert.key.spkiDer;
  const data = spec.mtype === 0 ? selected.slice() : digest(spec.mtype === 1 ? 'sha256' : 'sha512', selected);
  if (spec.corrupt === true) data[data.length - 1] = (data[data.length - 1] ?? 0) ^ 0x01;
  return data;
}

/** The TLSA rdata text `usage selector mtype hex` of a spec, for a host with `certs`. */
export function tlsaRdataText(spec: TlsaSpec, opts: { pki: LabPki; certs: HostCerts | undefined }): string {
  const data = associationData(certFor(opts.pki, opts.certs, spec.of), spec);
  return `${spec.usage} ${spec.selector} ${spec.mtype} ${toHex(data)}`;
}
