/**
 * `/health` (DESIGN.md "Observability"): 200 only while the store is writable and the resolver
 * validates the root's DNSKEY RRset from its trust anchors. A resolver that strips DNSSEC
 * signatures makes every DANE domain undeliverable — silently, in other MTAs — so the check says
 * so in words an operator acts on.
 */
import type { DaneResolver } from '../dane/index.ts';
import { Ede } from '../dns/dnssec/index.ts';
import { Name, RRType } from '../dns/wire/index.ts';
import type { QueueStore } from '../queue/index.ts';
import { describeError, type Clock } from '../util/index.ts';

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export interface HealthReport {
  ok: boolean;
  checks: { store: CheckResult; dnssec: CheckResult };
}

/** Why the root DNSKEY did not validate, as an operator reads it. */
function dnssecProblem(a: Awaited<ReturnType<DaneResolver['lookup']>>): string {
  const why = a.reason ?? 'no reason given';
  const stripped =
    a.ede === Ede.RRSIGS_MISSING || /RRSIG|signature.*(missing|absent)|no signature|unsigned/i.test(why);
  if (a.status === 'bogus' && stripped) {
    return (
      `the DNS resolver does not return DNSSEC signatures (root DNSKEY: ${why}); no DANE domain can be ` +
      'reached — use a resolver that passes DNSSEC records (DO bit), or dns.mode: recursive'
    );
  }
  if (a.kind === 'failed' && a.status !== 'bogus') return `cannot get the root DNSKEY: ${why}`;
  return `the root DNSKEY is ${a.status}: ${why} (check dns.trust_anchors and the resolver)`;
}

export async function checkHealth(deps: {
  store: QueueStore;
  resolver: DaneResolver;
  clock: Clock;
}): Promise<HealthReport> {
  const store = await deps.store
    .checkWritable(deps.clock.now())
    .then((): CheckResult => ({ ok: true, detail: 'the queue store is writable' }))
    .catch((e: unknown): CheckResult => ({
      ok: false,
      detail: `the queue store is not writable: ${describeError(e)}`,
    }));
  let dnssec: CheckResult;
  try {
    const a = await deps.resolver.lookup(Name.ROOT, RRType.DNSKEY);
    dnssec =
      a.kind === 'answer' && a.status === 'secure'
        ? { ok: true, detail: 'the resolver validates the root DNSKEY from the trust anchors' }
        : { ok: false, detail: dnssecProblem(a) };
  } catch (e) {
    dnssec = { ok: false, detail: `cannot get the root DNSKEY: ${describeError(e)}` };
  }
  return { ok: store.ok && dnssec.ok, checks: { store, dnssec } };
}
