/**
 * Public surface of x509: certificate parsing, PEM, keys, digests, DANE-TA path checks,
 * reference-identifier matching and OpenSSL verify-error texts. Other layers import only this file.
 */
export * from './cert.ts';
export * from './chain.ts';
export * from './digest.ts';
export * from './dn.ts';
export * from './errors.ts';
export * from './extensions.ts';
export * from './keys.ts';
export * from './names.ts';
export * from './name-constraints.ts';
export * from './openssl-errors.ts';
export * from './pem.ts';
export * from './signature.ts';
