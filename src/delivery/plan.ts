/**
 * The DNS side of one MX host, in RFC 7672 §2.2 order: addresses first (§2.2.2), then — only for
 * a secure host — the TLSA base domain and records (§2.2.3), then the host's TLS policy from the
 * profile. The result is a plan: connect to these addresses under this policy, or skip the host
 * with the fact that says why (classify.ts says what that means).
 * Must never: query TLSA for a host that is not secure, or when DANE cannot apply.
 */
import { classifyTlsa, formatTlsa, lookupHost, lookupTlsa } from '../dane/index.ts';
import type { Proof } from '../dns/dnssec/index.ts';
import type { Name } from '../dns/wire/index.ts';
import { decideHostPolicy, type HostDane, type HostPolicy, type HostSkipFact } from '../policy/index.ts';
import type { Ctx } from './deliver.ts';

/** A host to connect to, or to skip. */
export type HostPlan =
  | {
      kind: 'connect';
      mx: string;
      addresses: string[];
      /** DNSSEC status of the RRset an address came from. */
      dnssecOf: (address: string) => Proof;
      policy: HostPolicy & { action: 'connect' };
      /** The host's TLSA records as text (for attempt records). */
      tlsa: string[];
    }
  | {
      kind: 'skip';
      mx: string;
      dnssec: Proof;
      tlsa: string[];
      skip: HostSkipFact;
      /** Say `Skipping H: reason` (the TLS policy skipped it; DNS failures have their own line). */
      policyLine: boolean;
    };

/** A plan now, or the lookups that make one (run only when the host's turn comes). */
export type PlanStep = HostPlan | (() => Promise<HostPlan>);

const withoutDot = (name: Name): string => name.toString().replace(/\.$/, '');

/** Addresses first, then TLSA when the host is secure and DANE can apply; then the TLS policy. */
export async function planHost(
  ctx: Ctx,
  where: { domain: string; host: Name; mxStatus: Proof },
): Promise<HostPlan> {
  const { resolver, profile } = ctx.opts;
  const mx = withoutDot(where.host);
  const h = await lookupHost(where.host, resolver);
  if (h.kind === 'failed') {
    ctx.say(`DNS: address lookup for ${mx} failed: ${h.reason}`);
    const reason = `address lookup failed: ${h.reason}`;
    const skip: HostSkipFact =
      h.noAddress === true ? { kind: 'no-address', reason } : { kind: 'address-failed', reason };
    return { kind: 'skip', mx, dnssec: h.status, tlsa: [], skip, policyLine: false };
  }
  for (const w of h.warnings) ctx.say(`DNS: ${w}`);
  let dane: HostDane = { kind: 'none', reason: `insecure name ${mx}` };
  let tlsa: string[] = [];
  // RFC 7672 §2.2.1: DANE for the hosts of an insecure MX RRset is a MAY; under policy `may` it
  // does not apply at all, so no TLSA query is made (a failing one must not block delivery).
  const noDaneForMx = where.mxStatus !== 'secure' && profile.insecureMx === 'may';
  if (profile.tlsMode.startsWith('dane') && h.secure && !noDaneForMx) {
    const t = await lookupTlsa(h, profile.port, resolver);
    if (t.kind === 'failed')
      dane = { kind: 'failed', reason: `TLSA lookup for ${t.owner.toString()} failed: ${t.reason}` };
    else if (t.kind === 'none') dane = { kind: 'none', reason: t.reason };
    else {
      tlsa = t.tlsa.records.map(formatTlsa);
      dane = {
        kind: 'tlsa',
        base: withoutDot(t.base),
        tlsa: t.tlsa,
        usable: classifyTlsa(t.tlsa.records).usable,
      };
    }
  }
  const policy = decideHostPolicy({
    mode: profile.tlsMode,
    domain: where.domain,
    host: mx,
    mxStatus: where.mxStatus,
    insecureMx: profile.insecureMx,
    dane,
  });
  if (policy.action === 'skip') {
    return { kind: 'skip', mx, dnssec: h.status, tlsa, skip: policy.skip, policyLine: true };
  }
  // Issue #8 item 4: each address is judged by the RRset it came from (`(DNSSEC)` in the
  // transcript and `dnssec` in the attempt record), not by the other family's denial.
  const byAddress = new Map(h.addressStatus.map((a) => [a.address, a.status]));
  const weakest = h.status;
  return {
    kind: 'connect',
    mx,
    addresses: h.addresses,
    dnssecOf: (a) => byAddress.get(a) ?? weakest,
    policy,
    tlsa,
  };
}

/** An address literal: connect there directly, no MX, no DANE (RFC 5321 §4.1.3). */
export function planLiteral(ctx: Ctx, literal: string): HostPlan {
  const { profile } = ctx.opts;
  const policy = decideHostPolicy({
    mode: profile.tlsMode,
    domain: `[${literal}]`,
    host: literal,
    mxStatus: 'insecure',
    insecureMx: profile.insecureMx,
    dane: { kind: 'none', reason: 'address literal' },
  });
  const mx = `[${literal}]`;
  if (policy.action === 'skip') {
    return { kind: 'skip', mx, dnssec: 'insecure', tlsa: [], skip: policy.skip, policyLine: true };
  }
  return { kind: 'connect', mx, addresses: [literal], dnssecOf: () => 'insecure', policy, tlsa: [] };
}
