/**
 * Public keys: a node:crypto KeyObject from DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), and
 * the SPKI DER of a PEM public or private key (for TLSA `x 1 y` records, RFC 6698 §2.1.2).
 * Never exports private key material; never throws anything but an X509Error.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { X509Error } from './errors.ts';

/** A KeyObject for a DER SubjectPublicKeyInfo, or undefined when node:crypto cannot load it. */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/**
 * The DER SubjectPublicKeyInfo of a PEM public key, private key or certificate. A private key
 * is only used to derive its public half.
 */
export function spkiFromPem(pem: string): Uint8Array {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new X509Error('X509_ERR_KEY', 'not a PEM public key, private key or certificate', { cause });
  }
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
}
