/**
 * Key pairs of the lab's private PKI (EC P-256, RSA-2048, Ed25519) with their DER
 * SubjectPublicKeyInfo — what TLSA selector 1 hashes (RFC 6698 §2.1.2) — and the PKI's typed
 * argument error. Never reads the clock, never touches the network or the file system.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { MtaError } from '../../util/index.ts';

/** Machine codes of errors thrown by the lab PKI. */
export type LabCertErrorCode = 'LAB_ERR_CERT_ARGUMENT';

/** A bad argument to the lab PKI (bad validity window, serial, name …). */
export class LabCertError extends MtaError<LabCertErrorCode> {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('LAB_ERR_CERT_ARGUMENT', message, options);
    this.name = 'LabCertError';
  }
}

/** Key algorithms the lab can issue with. */
export const LabKeyType = { EC_P256: 'ec-p256', RSA_2048: 'rsa-2048', ED25519: 'ed25519' } as const;
export type LabKeyType = (typeof LabKeyType)[keyof typeof LabKeyType];

/** A key pair and its DER SubjectPublicKeyInfo (what TLSA selector 1 hashes). */
export interface LabKey {
  readonly type: LabKeyType;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly spkiDer: Uint8Array;
}

const keyCache = new Map<string, LabKey>();

/**
 * Generate a key pair. With `cacheKey`, the same (type, cacheKey) returns the same key for the
 * life of the process — RSA-2048 generation takes a noticeable fraction of a second.
 */
export function createKeyPair(type: LabKeyType, opts: { cacheKey?: string } = {}): LabKey {
  const slot = opts.cacheKey === undefined ? undefined : `${type}\u0000${opts.cacheKey}`;
  const cached = slot === undefined ? undefined : keyCache.get(slot);
  if (cached !== undefined) return cached;
  const pair = generatePair(type);
  const spkiDer = new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }));
  const key: LabKey = { type, privateKey: pair.privateKey, publicKey: pair.publicKey, spkiDer };
  if (slot !== undefined) keyCache.set(slot, key);
  return key;
}

function generatePair(type: LabKeyType): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (type) {
    case 'ec-p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'rsa-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'ed25519':
      return generateKeyPairSync('ed25519');
    default:
      throw new LabCertError(`unknown key type ${String(type)}`);
  }
}

/** The private key as PKCS #8 PEM (what a TLS server is configured with). */
export function privateKeyPem(key: LabKey): string {
  return key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
