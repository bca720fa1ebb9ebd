/**
 * Certification path checks for DANE-TA(2) (RFC 7671 §5.2, RFC 5280 §6.1 in the parts DANE
 * needs): issuer/subject chaining with signature verification, CA flags (basicConstraints cA,
 * keyCertSign), pathLenConstraint, name constraints, TLS server purpose, validity at an injected `now`, and a
 * bounded search from the leaf to a trust anchor chosen by the caller (a certificate matched by
 * a TLSA record, or a bare public key that signs the topmost certificate).
 * Never reads the clock, never loops (no certificate twice on a path, depth and step caps), and
 * never trusts anything by itself: the caller says what an anchor is.
 */
import type { KeyObject } from 'node:crypto';
import { equalBytes, toHex } from '../util/index.ts';
import type { Certificate } from './cert.ts';
import { checkNameConstraints } from './name-constraints.ts';
import { verifySignature, type SignatureCheck } from './signature.ts';

/** Why a path is not acceptable, with the OpenSSL verify error that best describes it. */
export interface ChainProblem {
  /** 'validity' problems are expiry/not-yet-valid; 'chain' everything else; 'no-anchor' no path. */
  readonly kind: 'chain' | 'validity' | 'no-anchor';
  /** OpenSSL X509_V_ERR_* name without the prefix (see openssl-errors.ts). */
  readonly opensslCode: string;
  /** Depth (0 = leaf) of the certificate at fault. */
  readonly depth: number;
  /** One human line. */
  readonly reason: string;
}

/** Successful path search: `path[0]` is the leaf; `depth` is where the anchor matched. */
export interface TrustedPath<A> {
  readonly ok: true;
  readonly path: readonly Certificate[];
  /** Depth of the anchor certificate, or of the topmost certificate when a bare key signed it. */
  readonly depth: number;
  readonly anchor: A;
  /** True when the anchor is a bare public key (no anchor certificate on the path). */
  readonly viaKey: boolean;
}

/** Failed path search. `anchorReached` is true when an anchor matched but the path was bad. */
export interface UntrustedPath {
  readonly ok: false;
  readonly anchorReached: boolean;
  readonly problem: ChainProblem;
  /** Depth of the matching anchor when one was reached. */
  readonly depth: number | undefined;
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';
const DEFAULT_MAX_DEPTH = 10;
const DEFAULT_MAX_STEPS = 256;
const MAX_POOL = 32;

const sigMemo = new WeakMap<Certificate, Map<object, SignatureCheck>>();

/** Is `child` signed by `key` (memoised per certificate object)? */
export function checkSignedBy(child: Certificate, key: KeyObject): SignatureCheck {
  let byKey = sigMemo.get(child);
  if (byKey === undefined) {
    byKey = new Map();
    sigMemo.set(child, byKey);
  }
  let result = byKey.get(key);
  if (result === undefined) {
    result = child.signatureAlgorithmsAgree
      ? verifySignature(child.tbs, child.signature, { algorithm: child.signatureAlgorithm, key })
      : { ok: false, reason: 'TBS signature algorithm differs from the outer one' };
    byKey.set(key, result);
  }
  return result;
}

/**
 * True when `issuer`'s subject is `child`'s issuer name and `issuer`'s key verifies `child`'s
 * signature. RFC 5280 §6.1.3 (a)(1)/(a)(4): the signature verifies with the working public key
 * and "the certificate issuer name is the working_issuer_name".
 */
export function verifyIssuedBy(child: Certificate, issuer: Certificate): boolean {
  if (child.issuer.key !== issuer.subject.key || issuer.publicKey === undefined) return false;
  return checkSignedBy(child, issuer.publicKey).ok;
}

/** Validity at `now` (ms). RFC 5280 §6.1.3 (a)(2): "The certificate validity period includes the current time." */
export function checkValidity(cert: Certificate, now: number, depth = 0): ChainProblem | undefined {
  const at = new Date(now).toISOString();
  if (now < cert.notBefore) {
    const from = new Date(cert.notBefore).toISOString();
    return {
      kind: 'validity',
      opensslCode: 'CERT_NOT_YET_VALID',
      depth,
      reason: `certificate at depth ${depth} (${cert.subject.oneline}) is not valid before ${from} (now ${at})`,
    };
  }
  if (now > cert.notAfter) {
    const to = new Date(cert.notAfter).toISOString();
    return {
      kind: 'validity',
      opensslCode: 'CERT_HAS_EXPIRED',
      depth,
      reason: `certificate at depth ${depth} (${cert.subject.oneline}) expired at ${to} (now ${at})`,
    };
  }
  return undefined;
}

function chainProblem(opensslCode: string, depth: number, cert: Certificate, what: string): ChainProblem {
  return {
    kind: 'chain',
    opensslCode,
    depth,
    reason: `certificate at depth ${depth} (${cert.subject.oneline || 'empty subject'}) ${what}`,
  };
}

/** TLS server purpose (RFC 5280 §4.2.1.12): an extendedKeyUsage, when present, must allow serverAuth. */
function purposeProblem(cert: Certificate, depth: number): ChainProblem | undefined {
  const eku = cert.extendedKeyUsage;
  if (eku !== undefined && !eku.includes(SERVER_AUTH) && !eku.includes(ANY_EKU)) {
    return chainProblem('INVALID_PURPOSE', depth, cert, 'has an extendedKeyUsage without serverAuth');
  }
  return undefined;
}

/**
 * May `cert` issue certificates, with `below` non-self-issued intermediates under it?
 * RFC 5280 §4.2.1.9: "The cA boolean indicates whether the certified public key may be used to
 * verify certificate signatures." … "If the cA boolean is not asserted, then the keyCertSign
 * bit in the key usage extension MUST NOT be asserted." … pathLenConstraint "gives the maximum
 * number of non-self-issued intermediate certificates that may follow this certificate in a
 * valid certification path."
 */
export function checkCaRole(
  cert: Certificate,
  opts: { depth: number; below: number },
): ChainProblem | undefined {
  const { depth, below } = opts;
  const bc = cert.basicConstraints;
  // A v1 self-issued certificate (no extensions at all) is accepted as a CA, as OpenSSL does.
  const legacyRoot = cert.version === 1 && cert.selfIssued;
  if (bc?.cA !== true && !legacyRoot) {
    return chainProblem('INVALID_CA', depth, cert, 'is not a CA (basicConstraints cA is not set)');
  }
  // RFC 5280 §4.2.1.3: "The keyCertSign bit is asserted when the subject public key is used for
  // verifying signatures on public key certificates."
  if (cert.keyUsage !== undefined && !cert.keyUsage.has('keyCertSign')) {
    return chainProblem('KEYUSAGE_NO_CERTSIGN', depth, cert, 'has a keyUsage without keyCertSign');
  }
  const limit = bc?.pathLenConstraint;
  if (limit !== undefined && below > limit) {
    return chainProblem(
      'PATH_LENGTH_EXCEEDED',
      depth,
      cert,
      `allows ${limit} intermediate(s) below it, found ${below}`,
    );
  }
  return undefined;
}

/** TLS server leaf checks: purpose and a keyUsage that permits a TLS key exchange/signature. */
function leafProblem(leaf: Certificate): ChainProblem | undefined {
  const ku = leaf.keyUsage;
  if (
    ku !== undefined &&
    !ku.has('digitalSignature') &&
    !ku.has('keyEncipherment') &&
    !ku.has('keyAgreement')
  ) {
    return chainProblem('INVALID_PURPOSE', 0, leaf, 'has a keyUsage unsuitable for a TLS server');
  }
  return purposeProblem(leaf, 0);
}

function structuralProblem(
  path: readonly Certificate[],
  i: number,
  anchorCert: boolean,
): ChainProblem | undefined {
  const cert = path[i] as Certificate;
  const bad = cert.problems[0];
  if (bad !== undefined) {
    const code = bad.startsWith('unhandled critical') ? 'UNHANDLED_CRITICAL_EXTENSION' : 'INVALID_EXTENSION';
    return chainProblem(code, i, cert, `is unusable: ${bad}`);
  }
  if (i === 0) return leafProblem(cert);
  const below = path.slice(1, i).filter((c) => !c.selfIssued).length;
  const ca = checkCaRole(cert, { depth: i, below });
  if (ca !== undefined) return ca;
  const child = path[i - 1] as Certificate;
  if (!verifyIssuedBy(child, cert)) {
    return chainProblem(
      'CERT_SIGNATURE_FAILURE',
      i - 1,
      child,
      `is not validly signed by ${cert.subject.oneline}`,
    );
  }
  // The anchor certificate is trusted as such: its own purpose is not checked (OpenSSL checks
  // trust settings, not EKU, for trusted certificates).
  const isAnchor = anchorCert && i === path.length - 1;
  return isAnchor ? undefined : purposeProblem(cert, i);
}

/*
 * RFC 5280 §6.1.3 (b), (c): every certificate below a CA with name constraints (except a
 * self-issued intermediate) must have its names within the permitted and outside the excluded
 * subtrees. The trust anchor's own constraints apply too, as OpenSSL applies them.
 */
function nameProblem(path: readonly Certificate[]): ChainProblem | undefined {
  for (let j = 1; j < path.length; j++) {
    const ca = path[j] as Certificate;
    if (ca.nameConstraints === undefined) continue;
    for (let i = 0; i < j; i++) {
      const cert = path[i] as Certificate;
      if (i > 0 && cert.selfIssued) continue;
      const caName = ca.subject.oneline || 'empty subject';
      const p = checkNameConstraints(cert, ca.nameConstraints, { isLeaf: i === 0, caName });
      if (p !== undefined)
        return chainProblem(p.opensslCode, i, cert, `violates name constraints: ${p.what}`);
    }
  }
  return undefined;
}

/**
 * Check a path `leaf … top` (leaf first). When `anchorCert` is true the top certificate is the
 * trust anchor (its own signature is not checked); otherwise the caller has verified that a
 * trusted bare key signed the top certificate. Structural problems are reported before
 * validity problems. Returns undefined when the path is good at `now`.
 */
export function validatePath(
  path: readonly Certificate[],
  opts: { now: number; anchorCert: boolean },
): ChainProblem | undefined {
  for (let i = 0; i < path.length; i++) {
    const p = structuralProblem(path, i, opts.anchorCert);
    if (p !== undefined) return p;
  }
  const names = nameProblem(path);
  if (names !== undefined) return names;
  for (let i = 0; i < path.length; i++) {
    const p = checkValidity(path[i] as Certificate, opts.now, i);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Options of findTrustedPath. */
export interface PathSearchOptions<A> {
  /** The anchor a certificate at `depth` ≥ 1 matches, if any. */
  readonly isAnchor: (cert: Certificate, depth: number) => A | undefined;
  /** Trusted bare public keys, any of which may sign the topmost certificate. */
  readonly anchorKeys?: readonly { readonly key: KeyObject; readonly anchor: A }[];
  /** Validation time, ms since the epoch. */
  readonly now: number;
  /** Longest path (certificates, leaf included); default 10. */
  readonly maxDepth?: number;
}

interface SearchState<A> {
  readonly opts: PathSearchOptions<A>;
  readonly pool: readonly Certificate[];
  readonly maxDepth: number;
  steps: number;
  failure: UntrustedPath | undefined;
}

function issuersOf<A>(st: SearchState<A>, path: readonly Certificate[]): Certificate[] {
  const cur = path[path.length - 1] as Certificate;
  const next = path.length;
  const found = st.pool.filter((c) => !path.some((p) => equalBytes(p.der, c.der)) && verifyIssuedBy(cur, c));
  // Prefer issuers that are themselves anchors, so a TA certificate from DNS wins over the
  // peer's cross-signed copy of the same CA.
  const anchored = found.filter((c) => st.opts.isAnchor(c, next) !== undefined);
  return [...anchored, ...found.filter((c) => !anchored.includes(c))];
}

function accept<A>(
  st: SearchState<A>,
  path: readonly Certificate[],
  anchor: A,
  viaKey: boolean,
): TrustedPath<A> | undefined {
  const depth = path.length - 1;
  const problem = validatePath(path, { now: st.opts.now, anchorCert: !viaKey });
  if (problem === undefined) return { ok: true, path, depth, anchor, viaKey };
  st.failure ??= { ok: false, anchorReached: true, problem, depth };
  return undefined;
}

function search<A>(st: SearchState<A>, path: readonly Certificate[]): TrustedPath<A> | undefined {
  if (++st.steps > DEFAULT_MAX_STEPS) return undefined;
  const cur = path[path.length - 1] as Certificate;
  const depth = path.length - 1;
  if (depth >= 1) {
    const anchor = st.opts.isAnchor(cur, depth);
    if (anchor !== undefined) return accept(st, path, anchor, false);
  }
  if (path.length < st.maxDepth) {
    for (const issuer of issuersOf(st, path)) {
      const found = search(st, [...path, issuer]);
      if (found !== undefined) return found;
    }
  }
  for (const { key, anchor } of st.opts.anchorKeys ?? []) {
    if (checkSignedBy(cur, key).ok) {
      const found = accept(st, path, anchor, true);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function dedupe(certs: readonly Certificate[]): Certificate[] {
  const seen = new Set<string>();
  return certs.filter((c) => {
    const k = toHex(c.der);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Search a path from `leaf` through certificates of `pool` (the peer's chain, plus any
 * certificates the caller adds) to an anchor. Issuers are found by name and signature; no
 * certificate appears twice on a path; at most `maxDepth` certificates and a fixed number of
 * steps are explored, so hostile chains cannot make the search explode.
 */
export function findTrustedPath<A>(
  leaf: Certificate,
  pool: readonly Certificate[],
  opts: PathSearchOptions<A>,
): TrustedPath<A> | UntrustedPath {
  const st: SearchState<A> = {
    opts,
    pool: dedupe(pool).slice(0, MAX_POOL),
    maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
    steps: 0,
    failure: undefined,
  };
  const found = search(st, [leaf]);
  if (found !== undefined) return found;
  if (st.failure !== undefined) return st.failure;
  const reason = 'no certificate of the chain leads to a trust anchor';
  return {
    ok: false,
    anchorReached: false,
    problem: { kind: 'no-anchor', opensslCode: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', depth: 0, reason },
    depth: undefined,
  };
}
