/**
 * Findings about the zones a check went through: a signed zone no chain of trust reaches (an
 * island, RFC 4035 §4.3 "Insecure"), NSEC3 iterations above 0 and a salt (RFC 9276 §3.1),
 * signatures that expire within the warning window (RFC 4034 §3.1.5), and a zone whose keys do
 * not validate. Looks each zone up once; reads DNS only through the resolver it is given.
 */
import type { Name } from '../dns/wire/index.ts';
import { finding } from './findings.ts';
import { failureText, type RecordingResolver } from './recorder.ts';
import type { Finding, ZoneReport } from './types.ts';
import { earliestExpiry, findApex, zoneFacts, type ZoneFacts } from './zones.ts';

/** What `checkZones` needs. */
export interface ZoneCheckContext {
  readonly resolver: RecordingResolver;
  readonly nowMs: number;
  readonly days: number;
  /** The host a zone's findings concern (null: the domain). */
  readonly hostOf: (apex: Name) => string | null;
}

const DAY = 86_400;

/** RFC 9276 §3.2: above this many iterations validators may treat answers as insecure. */
const INSECURE_ABOVE = 150;

function islandFinding(z: ZoneFacts, host: string | null): Finding {
  const apex = z.apex.toString();
  const why = z.parentProvesNoDs
    ? 'its parent zone publishes no DS record for it'
    : 'no chain of trust reaches it (its parent is not signed, or proves nothing)';
  return finding(
    'zone-island',
    host,
    `zone ${apex} is DNSSEC-signed, but ${why}: validators treat everything in it as unsigned (a DNSSEC island), so DANE is not in effect for names in it`,
    `publish the DS record of ${apex}'s key-signing key in the parent zone (at the registrar), e.g. from dnssec-dsfromkey or ldns-key2ds`,
  );
}

function nsec3Findings(z: ZoneFacts, host: string | null): Finding[] {
  if (z.nsec3 === null) return [];
  const out: Finding[] = [];
  const apex = z.apex.toString();
  const { iterations, salt } = z.nsec3;
  if (iterations > 0) {
    const over =
      iterations > INSECURE_ABOVE
        ? `; above ${INSECURE_ABOVE} many validators treat the zone as unsigned`
        : '';
    out.push(
      finding(
        'nsec3-iterations',
        host,
        `zone ${apex} uses NSEC3 with ${iterations} additional hash iterations; RFC 9276 §3.1 says 0 — they cost every validator work and hide nothing${over}`,
        're-sign the zone with 0 iterations and no salt (NSEC3PARAM 1 0 0 -; e.g. dnssec-signzone -3 - -H 0, ldns-signzone -n -t 0)',
      ),
    );
  }
  if (salt !== '') {
    out.push(
      finding(
        'nsec3-salt',
        host,
        `zone ${apex} uses an NSEC3 salt (${salt}); RFC 9276 §3.1 advises none`,
        're-sign the zone without a salt (NSEC3PARAM 1 0 0 -)',
      ),
    );
  }
  return out;
}

function expiryFinding(
  z: ZoneFacts,
  at: number | undefined,
  ctx: ZoneCheckContext,
  host: string | null,
): Finding[] {
  if (at === undefined) return [];
  const left = at - Math.floor(ctx.nowMs / 1000);
  if (left >= ctx.days * DAY) return [];
  const when = new Date(at * 1000).toISOString().replace('.000Z', 'Z');
  return [
    finding(
      'rrsig-expiring',
      host,
      `signatures in zone ${z.apex.toString()} expire at ${when}, in ${(left / DAY).toFixed(1)} days: after that every answer from it is bogus and DANE clients defer mail`,
      "make sure the zone is re-signed well before then (check the signer's re-signing schedule)",
    ),
  ];
}

/** Describe the zones holding `names` (each zone once) and name what is wrong with them. */
export async function checkZones(
  names: readonly Name[],
  ctx: ZoneCheckContext,
): Promise<{ reports: ZoneReport[]; findings: Finding[] }> {
  const apexes = new Map<string, Name>();
  for (const n of names) {
    const apex = await findApex(n, ctx.resolver);
    if (apex !== undefined && !apexes.has(apex.key())) apexes.set(apex.key(), apex);
  }
  const facts = await Promise.all([...apexes.values()].map((a) => zoneFacts(a, ctx.resolver)));
  const reports: ZoneReport[] = [];
  const findings: Finding[] = [];
  const nowSeconds = Math.floor(ctx.nowMs / 1000);
  for (const z of facts) {
    const host = ctx.hostOf(z.apex);
    const at = z.status === 'signed' ? earliestExpiry(ctx.resolver.answers, z.apex, nowSeconds) : undefined;
    reports.push({
      apex: z.apex.toString(),
      status: z.status,
      nsec3: z.nsec3,
      signaturesExpire: at === undefined ? null : new Date(at * 1000).toISOString(),
    });
    if (z.status === 'island') findings.push(islandFinding(z, host));
    if (z.status === 'signed' || z.status === 'island') findings.push(...nsec3Findings(z, host));
    findings.push(...expiryFinding(z, at, ctx, host));
    if (z.status === 'bogus' && z.failure !== undefined) {
      findings.push(
        finding(
          'dnssec-bogus',
          host,
          `the keys of zone ${z.apex.toString()} do not validate: ${failureText(z.failure)}`,
          `fix the DS at the parent or the DNSKEY RRset (see: dane-mta resolve ${z.apex.toString()} DNSKEY --trace)`,
        ),
      );
    }
  }
  return { reports, findings };
}
