/**
 * OpenSSL certificate verification errors (X509_V_ERR_*, OpenSSL 3.0 numbering and texts as
 * X509_verify_cert_error_string prints them), keyed by the names Node uses for a TLS socket's
 * `authorizationError` (the X509_V_ERR_ suffix), plus Node's own ERR_TLS_CERT_ALTNAME_INVALID.
 * Lets the transcript print `X.509 error: unable to get local issuer certificate (20)`.
 * Pure data; must never guess a number for a code it does not know.
 */

/** One verify error: OpenSSL's number and its text. */
export interface OpensslVerifyError {
  readonly code: string;
  readonly number: number;
  readonly text: string;
}

const TABLE: readonly (readonly [number, string, string])[] = [
  [0, 'OK', 'ok'],
  [1, 'UNSPECIFIED', 'unspecified certificate verification error'],
  [2, 'UNABLE_TO_GET_ISSUER_CERT', 'unable to get issuer certificate'],
  [3, 'UNABLE_TO_GET_CRL', 'unable to get certificate CRL'],
  [4, 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', "unable to decrypt certificate's signature"],
  [5, 'UNABLE_TO_DECRYPT_CRL_SIGNATURE', "unable to decrypt CRL's signature"],
  [6, 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'unable to decode issuer public key'],
  [7, 'CERT_SIGNATURE_FAILURE', 'certificate signature failure'],
  [8, 'CRL_SIGNATURE_FAILURE', 'CRL signature failure'],
  [9, 'CERT_NOT_YET_VALID', 'certificate is not yet valid'],
  [10, 'CERT_HAS_EXPIRED', 'certificate has expired'],
  [11, 'CRL_NOT_YET_VALID', 'CRL is not yet valid'],
  [12, 'CRL_HAS_EXPIRED', 'CRL has expired'],
  [13, 'ERROR_IN_CERT_NOT_BEFORE_FIELD', "format error in certificate's notBefore field"],
  [14, 'ERROR_IN_CERT_NOT_AFTER_FIELD', "format error in certificate's notAfter field"],
  [15, 'ERROR_IN_CRL_LAST_UPDATE_FIELD', "format error in CRL's lastUpdate field"],
  [16, 'ERROR_IN_CRL_NEXT_UPDATE_FIELD', "format error in CRL's nextUpdate field"],
  [17, 'OUT_OF_MEM', 'out of memory'],
  [18, 'DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'],
  [19, 'SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'],
  [20, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'],
  [21, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'],
  [22, 'CERT_CHAIN_TOO_LONG', 'certificate chain too long'],
  [23, 'CERT_REVOKED', 'certificate revoked'],
  [24, 'NO_ISSUER_PUBLIC_KEY', "issuer certificate doesn't have a public key"],
  [25, 'PATH_LENGTH_EXCEEDED', 'path length constraint exceeded'],
  [26, 'INVALID_PURPOSE', 'unsuitable certificate purpose'],
  [27, 'CERT_UNTRUSTED', 'certificate not trusted'],
  [28, 'CERT_REJECTED', 'certificate rejected'],
  [29, 'SUBJECT_ISSUER_MISMATCH', 'subject issuer mismatch'],
  [30, 'AKID_SKID_MISMATCH', 'authority and subject key identifier mismatch'],
  [31, 'AKID_ISSUER_SERIAL_MISMATCH', 'authority and issuer serial number mismatch'],
  [32, 'KEYUSAGE_NO_CERTSIGN', 'key usage does not include certificate signing'],
  [33, 'UNABLE_TO_GET_CRL_ISSUER', 'unable to get CRL issuer certificate'],
  [34, 'UNHANDLED_CRITICAL_EXTENSION', 'unhandled critical extension'],
  [35, 'KEYUSAGE_NO_CRL_SIGN', 'key usage does not include CRL signing'],
  [36, 'UNHANDLED_CRITICAL_CRL_EXTENSION', 'unhandled critical CRL extension'],
  [37, 'INVALID_NON_CA', 'invalid non-CA certificate (has CA markings)'],
  [38, 'PROXY_PATH_LENGTH_EXCEEDED', 'proxy path length constraint exceeded'],
  [39, 'KEYUSAGE_NO_DIGITAL_SIGNATURE', 'key usage does not include digital signature'],
  [40, 'PROXY_CERTIFICATES_NOT_ALLOWED', 'proxy certificates not allowed, please set the appropriate flag'],
  [41, 'INVALID_EXTENSION', 'invalid or inconsistent certificate extension'],
  [42, 'INVALID_POLICY_EXTENSION', 'invalid or inconsistent certificate policy extension'],
  [43, 'NO_EXPLICIT_POLICY', 'no explicit policy'],
  [44, 'DIFFERENT_CRL_SCOPE', 'different CRL scope'],
  [45, 'UNSUPPORTED_EXTENSION_FEATURE', 'unsupported extension feature'],
  [46, 'UNNESTED_RESOURCE', "RFC 3779 resource not subset of parent's resources"],
  [47, 'PERMITTED_VIOLATION', 'permitted subtree violation'],
  [48, 'EXCLUDED_VIOLATION', 'excluded subtree violation'],
  [49, 'SUBTREE_MINMAX', 'name constraints minimum and maximum not supported'],
  [50, 'APPLICATION_VERIFICATION', 'application verification failure'],
  [51, 'UNSUPPORTED_CONSTRAINT_TYPE', 'unsupported name constraint type'],
  [52, 'UNSUPPORTED_CONSTRAINT_SYNTAX', 'unsupported or invalid name constraint syntax'],
  [53, 'UNSUPPORTED_NAME_SYNTAX', 'unsupported or invalid name syntax'],
  [54, 'CRL_PATH_VALIDATION_ERROR', 'CRL path validation error'],
  [55, 'PATH_LOOP', 'path loop'],
  [56, 'SUITE_B_INVALID_VERSION', 'Suite B: certificate version invalid'],
  [57, 'SUITE_B_INVALID_ALGORITHM', 'Suite B: invalid public key algorithm'],
  [58, 'SUITE_B_INVALID_CURVE', 'Suite B: invalid ECC curve'],
  [59, 'SUITE_B_INVALID_SIGNATURE_ALGORITHM', 'Suite B: invalid signature algorithm'],
  [60, 'SUITE_B_LOS_NOT_ALLOWED', 'Suite B: curve not allowed for this LOS'],
  [61, 'SUITE_B_CANNOT_SIGN_P_384_WITH_P_256', 'Suite B: cannot sign P-384 with P-256'],
  [62, 'HOSTNAME_MISMATCH', 'hostname mismatch'],
  [63, 'EMAIL_MISMATCH', 'email address mismatch'],
  [64, 'IP_ADDRESS_MISMATCH', 'IP address mismatch'],
  [65, 'DANE_NO_MATCH', 'no matching DANE TLSA records'],
  [66, 'EE_KEY_TOO_SMALL', 'EE certificate key too weak'],
  [67, 'CA_KEY_TOO_SMALL', 'CA certificate key too weak'],
  [68, 'CA_MD_TOO_WEAK', 'CA signature digest algorithm too weak'],
  [69, 'INVALID_CALL', 'invalid certificate verification context'],
  [70, 'STORE_LOOKUP', 'issuer certificate lookup error'],
  [71, 'NO_VALID_SCTS', 'Certificate Transparency required, but no valid SCTs found'],
  [72, 'PROXY_SUBJECT_NAME_VIOLATION', 'proxy subject name violation'],
  [73, 'OCSP_VERIFY_NEEDED', 'OCSP verification needed'],
  [74, 'OCSP_VERIFY_FAILED', 'OCSP verification failed'],
  [75, 'OCSP_CERT_UNKNOWN', 'OCSP unknown cert'],
  [76, 'UNSUPPORTED_SIGNATURE_ALGORITHM', 'Cannot find certificate signature algorithm'],
  [
    77,
    'SIGNATURE_ALGORITHM_MISMATCH',
    'subject signature algorithm and issuer public key algorithm mismatch',
  ],
  [78, 'SIGNATURE_ALGORITHM_INCONSISTENCY', 'cert info signature and signature algorithm mismatch'],
  [79, 'INVALID_CA', 'invalid CA certificate'],
  [80, 'PATHLEN_INVALID_FOR_NON_CA', 'Path length invalid for non-CA cert'],
  [81, 'PATHLEN_WITHOUT_KU_KEY_CERT_SIGN', 'Path length given without key usage keyCertSign'],
  [82, 'KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA', 'Key usage keyCertSign invalid for non-CA cert'],
  [83, 'ISSUER_NAME_EMPTY', 'Issuer name empty'],
  [84, 'SUBJECT_NAME_EMPTY', 'Subject name empty'],
  [85, 'MISSING_AUTHORITY_KEY_IDENTIFIER', 'Missing Authority Key Identifier'],
  [86, 'MISSING_SUBJECT_KEY_IDENTIFIER', 'Missing Subject Key Identifier'],
  [87, 'EMPTY_SUBJECT_ALT_NAME', 'Empty Subject Alternative Name extension'],
  [88, 'EMPTY_SUBJECT_SAN_NOT_CRITICAL', 'Subject empty and Subject Alt Name extension not critical'],
  [89, 'CA_BCONS_NOT_CRITICAL', 'Basic Constraints of CA cert not marked critical'],
  [90, 'AUTHORITY_KEY_IDENTIFIER_CRITICAL', 'Authority Key Identifier marked critical'],
  [91, 'SUBJECT_KEY_IDENTIFIER_CRITICAL', 'Subject Key Identifier marked critical'],
  [92, 'CA_CERT_MISSING_KEY_USAGE', 'CA cert does not include key usage extension'],
  [93, 'EXTENSIONS_REQUIRE_VERSION_3', 'Using cert extension requires at least X509v3'],
  [94, 'EC_KEY_EXPLICIT_PARAMS', 'Certificate public key has explicit ECC parameters'],
];

const BY_CODE = new Map<string, OpensslVerifyError>(
  TABLE.map(([number, code, text]) => [code, { code, number, text }]),
);
const BY_NUMBER = new Map<number, OpensslVerifyError>([...BY_CODE.values()].map((e) => [e.number, e]));

/** Node's own code for a failed `tls.checkServerIdentity` (a host name mismatch). */
const NODE_ALIASES: Readonly<Record<string, string>> = {
  ERR_TLS_CERT_ALTNAME_INVALID: 'HOSTNAME_MISMATCH',
};

/**
 * The OpenSSL verify error for a Node `authorizationError` code (`UNABLE_TO_GET_ISSUER_CERT_LOCALLY`,
 * `X509_V_ERR_…` spellings too) or an OpenSSL number; undefined when unknown.
 */
export function opensslVerifyError(code: string | number): OpensslVerifyError | undefined {
  if (typeof code === 'number') return BY_NUMBER.get(code);
  const bare = code.startsWith('X509_V_ERR_') ? code.slice('X509_V_ERR_'.length) : code;
  return BY_CODE.get(NODE_ALIASES[bare] ?? bare);
}

/**
 * Transcript text for a verify error: `unable to get local issuer certificate (20)`; for a code
 * we do not know, the code itself, so nothing is ever invented.
 */
export function describeX509Error(code: string | number): string {
  const e = opensslVerifyError(code);
  return e === undefined ? String(code) : `${e.text} (${e.number})`;
}
