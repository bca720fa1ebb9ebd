/**
 * The two digests DANE uses (RFC 6698 §2.1.3: SHA2-256 and SHA2-512), for layers that may not
 * touch node:crypto themselves (dane is pure). Must never offer a digest DANE does not define.
 */
import { createHash } from 'node:crypto';

/** Digest algorithms of TLSA matching types 1 and 2. */
export type DigestName = 'sha256' | 'sha512';

/** The digest of `data`. */
export function digest(name: DigestName, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(name).update(data).digest());
}
