/**
 * The case table of the delivery interop test, as data: the recursive-mode cases of
 * cases-tls.ts and cases-dns.ts, then some of them again in mode validate through Unbound.
 * Each case says which records it adds to the signed test zones, which RRset is made bogus after
 * signing, the recipient, and what must come out (see case-kit.ts).
 * Must never name an address outside the test's own loopback plan.
 */
import type { Pki } from './pki.ts';
import type { AddressOf, DeliveryCase } from './case-kit.ts';
import { dnsCases, mxCases } from './cases-dns.ts';
import { authenticationCases } from './cases-tls.ts';

export * from './case-kit.ts';

/** The same destinations through Unbound (mode validate: RD+CD+DO, validated here). */
function validateModeCases(all: readonly DeliveryCase[]): DeliveryCase[] {
  const pick = (prefix: string): DeliveryCase => {
    const c = all.find((x) => x.name.startsWith(prefix));
    if (c === undefined) throw new Error(`no case ${prefix}`);
    return { name: `validate mode via Unbound: ${c.name}`, to: c.to, resolver: 'validate', want: c.want };
  };
  return [
    pick('DANE-EE 3 1 1'),
    pick('DANE-TA with a wrongly named leaf'),
    pick('a bogus TLSA RRset'),
    pick('an unsigned domain'),
    pick("a CNAME'd MX host with TLSA at the target"),
  ];
}

/** Every case, recursive-mode ones first, then the validate-mode reruns. */
export function deliveryCases(pki: Pki, at: AddressOf): DeliveryCase[] {
  const recursive = [...authenticationCases(pki, at), ...dnsCases(pki, at), ...mxCases(pki, at)];
  return [...recursive, ...validateModeCases(recursive)];
}
