/**
 * Findings about how a host and its TLSA records are published (RFC 7672 §2.2–§3.1, RFC 6698
 * §3–4, RFC 7671 §9): failed and bogus lookups with their EDE reason, a host outside signed DNS,
 * records no client can use (PKIX usages, digests of the wrong length), records a client never
 * sees (an unsigned zone, the mail domain instead of the MX host, another port), and no records
 * at all — each fix naming the record to publish, computed from the certificate the server sent.
 * Reads DNS only through the resolver it is given (to tell an island from an unsigned zone).
 */
import { classifyTlsa, formatTlsa, tlsaFromCertificate, type HostLookup } from '../dane/index.ts';
import type { Name } from '../dns/wire/index.ts';
import { finding } from './findings.ts';
import { failureText, type RecordingResolver } from './recorder.ts';
import { shortTlsa } from './tls-analysis.ts';
import type { MisplacedTlsa, TlsaFacts } from './tlsa-find.ts';
import type { Finding } from './types.ts';
import { findApex, zoneFacts } from './zones.ts';

/** A failed lookup: bogus (with its EDE reason) or could-not-tell. */
export function dnsFailure(
  resolver: RecordingResolver,
  host: string,
  what: { name: Name; reason: string; bogus: boolean },
): Finding {
  const answer = resolver.bogusFor(what.name)[0];
  const why = answer === undefined ? what.reason : failureText(answer);
  if (what.bogus) {
    return finding(
      'dnssec-bogus',
      host,
      `DNSSEC validation failed for ${what.name.toString()}: ${why} — DANE clients treat this as a lookup failure and defer mail`,
      `fix the signatures or the DS/DNSKEY of the zone (see: dane-mta resolve ${what.name.toString()} --trace)`,
    );
  }
  return finding(
    'lookup-failed',
    host,
    `lookup of ${what.name.toString()} failed: ${why}`,
    'make every name server of the zone answer (NODATA rather than SERVFAIL or silence for records that do not exist)',
  );
}

/** Findings about the records themselves (RFC 7672 §2.2 usability, RFC 7671 §9 digest agility). */
function recordFindings(host: string, tlsa: TlsaFacts & { kind: 'records' }, suggestion: string): Finding[] {
  const out: Finding[] = [];
  const { usable, unusable, superseded } = classifyTlsa(tlsa.records);
  const owner = tlsa.owner.toString();
  if (usable.length === 0 && unusable.every((u) => u.record.usage === 0 || u.record.usage === 1)) {
    out.push(
      finding(
        'tlsa-pkix-only',
        host,
        `only PKIX-TA/PKIX-EE (usage 0/1) records at ${owner}: SMTP clients cannot use them (RFC 7672 §3.1.3), so they insist on TLS but authenticate nothing`,
        `replace them with DANE-EE records: ${suggestion}`,
      ),
    );
    return out;
  }
  for (const u of unusable) {
    const digest = /digest has \d+ octets/.test(u.reason);
    out.push(
      finding(
        digest ? 'tlsa-digest-length' : 'tlsa-unusable',
        host,
        `record ${shortTlsa(u.record)} at ${owner} is unusable: ${u.reason}${usable.length === 0 ? ' — no usable record is left, so clients insist on TLS but authenticate nothing' : ''}`,
        digest
          ? `recompute it: ${suggestion}`
          : `remove it or replace it with a DANE-EE record: ${suggestion}`,
      ),
    );
  }
  for (const s of superseded) {
    out.push(
      finding(
        'tlsa-superseded',
        host,
        `record ${shortTlsa(s.record)} at ${owner} is ignored: ${s.reason}`,
        null,
      ),
    );
  }
  return out;
}

/** The DANE-EE record a server presenting `chain` needs at `owner`. */
function suggestedRecord(owner: string, chain: readonly Uint8Array[] | undefined): string {
  const leaf = chain?.[0];
  if (leaf !== undefined) {
    try {
      return `${owner} IN TLSA ${formatTlsa(tlsaFromCertificate(leaf, { usage: 3, selector: 1, matchingType: 1 }))}`;
    } catch {
      // fall through to the generic advice
    }
  }
  return `${owner} IN TLSA 3 1 1 <output of: dane-mta tlsa CERT.pem>`;
}

function misplacedFinding(host: string, m: MisplacedTlsa, where: { owner: string; port: number }): Finding {
  const want = where.owner;
  const recs = m.records.map((r) => shortTlsa(r)).join(', ');
  return m.kind === 'wrong-owner'
    ? finding(
        'tlsa-wrong-owner',
        host,
        `TLSA records (${recs}) are published at ${m.owner.toString()}, the mail domain; SMTP clients look for them at ${want}, the MX host (RFC 7672 §3.1)`,
        `publish the records at ${want} (or make ${want} a CNAME to ${m.owner.toString()})`,
      )
    : finding(
        'tlsa-wrong-port',
        host,
        `TLSA records (${recs}) are published at ${m.owner.toString()}, but mail is checked on port ${where.port}: clients look for them at ${want}`,
        `publish the records at ${want}`,
      );
}

/** What the publication findings of a host are made from. */
export interface Publication {
  readonly host: string;
  readonly lookup: HostLookup & { kind: 'ok' };
  readonly tlsa: TlsaFacts;
  readonly misplaced: readonly MisplacedTlsa[];
  /** The chain the server presented (for the record to suggest). */
  readonly chain: readonly Uint8Array[] | undefined;
}

/** Records in a zone no chain of trust reaches: unsigned, or an island (reported with its zone). */
async function insecureRecords(
  p: Publication,
  owner: Name,
  ctx: { resolver: RecordingResolver },
): Promise<Finding[]> {
  const apex = await findApex(owner, ctx.resolver);
  const zone = apex === undefined ? undefined : await zoneFacts(apex, ctx.resolver);
  if (zone?.status === 'island') return [];
  const status = p.tlsa.kind === 'records' ? p.tlsa.status : 'insecure';
  return [
    finding(
      'tlsa-unsigned-zone',
      p.host,
      `TLSA records at ${owner.toString()} are in a zone that is not DNSSEC-signed (${status}): no SMTP client uses them`,
      'sign the zone that holds them, and publish its DS at the parent',
    ),
  ];
}

/** Everything about how the host and its TLSA records are published. */
export async function publicationFindings(
  p: Publication,
  ctx: { resolver: RecordingResolver; port: number },
): Promise<Finding[]> {
  const { host, lookup: hl, tlsa } = p;
  const out: Finding[] = [];
  if (!hl.secure) {
    out.push(
      finding(
        'host-insecure',
        host,
        `the addresses of ${host} are not DNSSEC-signed (${hl.status}): DANE cannot apply to it, mail uses opportunistic TLS at best`,
        'sign the zone that holds it and publish its DS at the parent',
      ),
    );
  }
  const want = suggestedRecord(tlsa.owner.toString(), p.chain);
  if (tlsa.kind === 'failed') {
    out.push(
      dnsFailure(ctx.resolver, host, {
        name: tlsa.owner,
        reason: tlsa.reason,
        bogus: tlsa.answer?.status === 'bogus',
      }),
    );
  } else if (tlsa.kind === 'records') {
    out.push(
      ...(tlsa.secure !== undefined
        ? recordFindings(host, tlsa, want)
        : await insecureRecords(p, tlsa.owner, ctx)),
    );
  } else if (hl.secure && p.misplaced.length === 0) {
    out.push(
      finding(
        'no-tlsa',
        host,
        `${host} is in a signed zone but publishes no TLSA records at ${tlsa.owner.toString()}: DANE does not protect mail to it`,
        `to add DANE, publish ${want}`,
      ),
    );
  }
  for (const m of p.misplaced)
    out.push(misplacedFinding(host, m, { owner: tlsa.owner.toString(), port: ctx.port }));
  return out;
}
