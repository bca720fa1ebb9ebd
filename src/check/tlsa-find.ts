/**
 * Where a host's TLSA records are — and where they are by mistake. For a secure host the RFC 7672
 * §2.2.3 order of dane/lookup.ts (expanded name first when the CNAME chain is secure, then the
 * name itself); for any host also the records a client ignores: TLSA in a zone that is not
 * signed, at the mail domain instead of the MX host, or for another port (RFC 6698 §3: the owner
 * is `_<port>._tcp.<host>`). Reads DNS only through the resolver it is given.
 */
import {
  lookupTlsa,
  tlsaRecords,
  type DaneResolver,
  type HostLookup,
  type SecureTlsa,
  type TlsaRecord,
} from '../dane/index.ts';
import type { Proof } from '../dns/dnssec/index.ts';
import type { Answer } from '../dns/resolver/index.ts';
import { RRType, type Name } from '../dns/wire/index.ts';

/** The TLSA RRset of a host, as a client would use it or as it is published. */
export type TlsaFacts =
  /** Records at `owner`; `usable` when the host is secure and the RRset is secure. */
  | {
      kind: 'records';
      owner: Name;
      base: Name;
      status: Proof;
      records: readonly TlsaRecord[];
      /** Present exactly when the RRset was proven secure: what DANE authentication takes. */
      secure?: SecureTlsa;
    }
  | { kind: 'none'; owner: Name }
  | { kind: 'failed'; owner: Name; reason: string; answer?: Answer };

/** Records published where no client looks. */
export interface MisplacedTlsa {
  readonly kind: 'wrong-owner' | 'wrong-port';
  readonly owner: Name;
  readonly records: TlsaRecord[];
  readonly status: Proof;
}

/** Ports probed for misplaced records: SMTP, submissions, submission (RFC 8314, RFC 6409). */
const OTHER_PORTS = [25, 465, 587] as const;

/** `_<port>._tcp.<base>` (RFC 6698 §3), or undefined when the name would be too long. */
export function tlsaOwner(base: Name, port: number): Name | undefined {
  try {
    return base.prepend('_tcp').prepend(`_${port}`);
  } catch {
    return undefined;
  }
}

function recordsOf(a: Answer): TlsaRecord[] {
  if (a.kind !== 'answer') return [];
  // Insecure records are read too (the checker reports TLSA in unsigned zones); the resolver
  // never hands out bogus ones.
  return tlsaRecords(a.rrset.require('insecure'));
}

function isFailure(a: Answer): boolean {
  return a.kind === 'failed' || a.status === 'bogus';
}

/** The records at one owner, whatever their status; failures as such. */
async function recordsAt(
  owner: Name,
  resolver: DaneResolver,
): Promise<{ answer: Answer; records: TlsaRecord[] }> {
  const answer = await resolver.lookup(owner, RRType.TLSA);
  return { answer, records: isFailure(answer) ? [] : recordsOf(answer) };
}

/** The host's TLSA RRset: what a DANE client uses, else what is published (insecurely) at the host. */
export async function findTlsa(
  host: HostLookup & { kind: 'ok' },
  port: number,
  resolver: DaneResolver,
): Promise<TlsaFacts> {
  const plain = tlsaOwner(host.name, port);
  if (plain === undefined) return { kind: 'none', owner: host.name };
  if (host.secure) {
    const used = await lookupTlsa(host, port, resolver);
    if (used.kind === 'records') {
      return {
        kind: 'records',
        owner: used.owner,
        base: used.base,
        status: 'secure',
        records: used.tlsa.records,
        secure: used.tlsa,
      };
    }
    if (used.kind === 'failed') {
      const answer = (await resolver.lookup(used.owner, RRType.TLSA)) as Answer | undefined;
      return {
        kind: 'failed',
        owner: used.owner,
        reason: used.reason,
        ...(answer === undefined ? {} : { answer }),
      };
    }
  }
  // No TLSA a client would use: is there any at the host name all the same (unsigned zone, island)?
  const { answer, records } = await recordsAt(plain, resolver);
  if (isFailure(answer) && !host.secure) {
    return { kind: 'failed', owner: plain, reason: answer.reason ?? 'TLSA lookup failed', answer };
  }
  if (records.length === 0) return { kind: 'none', owner: plain };
  return { kind: 'records', owner: plain, base: host.name, status: answer.status, records };
}

/** TLSA records at the mail domain (when it is not the host) and at the host for other ports. */
export async function findMisplaced(
  host: Name,
  opts: { domain: Name; port: number; resolver: DaneResolver },
): Promise<MisplacedTlsa[]> {
  const tries: { kind: MisplacedTlsa['kind']; owner: Name | undefined }[] = [];
  if (!opts.domain.equals(host))
    tries.push({ kind: 'wrong-owner', owner: tlsaOwner(opts.domain, opts.port) });
  for (const p of OTHER_PORTS)
    if (p !== opts.port) tries.push({ kind: 'wrong-port', owner: tlsaOwner(host, p) });
  const found = await Promise.all(
    tries.map(async (t) => {
      if (t.owner === undefined) return undefined;
      const { answer, records } = await recordsAt(t.owner, opts.resolver);
      return records.length === 0
        ? undefined
        : { kind: t.kind, owner: t.owner, records, status: answer.status };
    }),
  );
  return found.filter((f): f is MisplacedTlsa => f !== undefined);
}
