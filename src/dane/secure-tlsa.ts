/**
 * A TLSA RRset proven secure (RFC 7672 §2.2: only a secure TLSA RRset may authenticate a peer;
 * "If the TLSA RRset is insecure … [it is] treated as absent"). `SecureTlsa` can only be built
 * from a `Proven` value whose proof is `secure` (the resolver's answer, or a caller stating it
 * explicitly), so DANE authentication (`verifyDanePeer`) and the TLS policy cannot be handed
 * records of an insecure, bogus or indeterminate answer by mistake. Pure; no I/O.
 */
import { requireSecure, type Proven } from '../dns/dnssec/index.ts';
import type { TlsaRecord } from './types.ts';

export class SecureTlsa {
  readonly #records: readonly TlsaRecord[];

  private constructor(records: readonly TlsaRecord[]) {
    this.#records = Object.freeze([...records]);
  }

  /**
   * The records of a TLSA RRset proven secure. Throws DNSSEC_ERR_NOT_SECURE for any other proof
   * (a programming error: branch on the proof first).
   */
  static fromProven(p: Proven<readonly TlsaRecord[]>): SecureTlsa {
    return new SecureTlsa(requireSecure(p));
  }

  /** The records (RFC 6698 §2.1 rdata), in the order of the RRset. */
  get records(): readonly TlsaRecord[] {
    return this.#records;
  }

  get size(): number {
    return this.#records.length;
  }
}
