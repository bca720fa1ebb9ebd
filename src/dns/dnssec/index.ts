/**
 * Public surface of the DNSSEC primitives: proofs and EDE codes, canonical form, key tags, DS
 * digests, signature verification, NSEC/NSEC3 denial proofs and trust anchors. Pure apart from
 * the crypto in algorithms.ts; the validating resolver (dns/resolver) is built on top.
 */
export {
  DigestType,
  DnssecAlgorithm,
  digestLength,
  isAlgorithmSupported,
  isAlgorithmSupported as isSupportedAlgorithm,
  isDigestSupported,
  isDigestSupported as isSupportedDigest,
  keyCacheSize,
  verifySignature,
  type SignatureVerifier,
} from './algorithms.ts';
export {
  canonicalRdata,
  canonicalRdataSet,
  LOWERCASED_RDATA_TYPES,
  rrsigPrefix,
  signedData,
  signedOwner,
} from './canonical.ts';
export {
  isExpandedRecord,
  isWildcardExpansion,
  usableDenialRecords,
  type DenialOptions,
} from './denial-input.ts';
export {
  nsecClosestEncloser,
  nsecCovers,
  nsecMatches,
  proveNoDsNsec,
  proveNodataNsec,
  proveNxdomainNsec,
  proveWildcardAnswerNsec,
} from './denial-nsec.ts';
export {
  proveClosestEncloserNsec3,
  proveNoDsNsec3,
  proveNodataNsec3,
  proveNxdomainNsec3,
  proveWildcardAnswerNsec3,
  type ClosestEncloserProof,
} from './denial-nsec3.ts';
export { dnskeyRdataBytes, dsDigest, dsMatchesKey, makeDs } from './ds.ts';
export { DnssecError, type DnssecErrorCode } from './errors.ts';
export { keyTag, keyTagOfRdata } from './keytag.ts';
export {
  DEFAULT_NSEC3_LIMITS,
  groupByNsec3Params,
  nsec3Covers,
  nsec3Hash,
  Nsec3Hashes,
  nsec3Matches,
  nsec3Sha1,
  type Nsec3HashFunction,
  type Nsec3HashParams,
  type Nsec3Limits,
  type Nsec3Options,
} from './nsec3.ts';
export {
  atLeast,
  Ede,
  InsecureKind,
  isSecure,
  proven,
  Proven,
  requireProof,
  requireSecure,
  weakest,
  weakestOf,
  type DenialProof,
  type EdeCode,
  type Proof,
} from './proof.ts';
export {
  verifyRrset,
  verifyRrsetAny,
  type RrsetFailed,
  type RrsetVerdict,
  type RrsetVerified,
  type VerifyAnyOptions,
  type VerifyOptions,
} from './rrsig.ts';
export { checkWindow, serialCompare, serialDistance, toSerial, type WindowCheck } from './serial.ts';
export {
  groupTrustAnchors,
  IANA_ROOT_ANCHORS_TEXT,
  parseTrustAnchors,
  rootTrustAnchors,
  type AnchorGroup,
  type TrustAnchorRecord,
} from './trust-anchor.ts';
