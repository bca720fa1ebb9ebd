/**
 * Zone shapes the checker must recognise that the delivery catalogue does not hold — TLSA records
 * at the mail domain instead of the MX host, for another port, in a signed zone without a DS at
 * its parent (an island), a DANE-TA setup that works, NSEC3 with iterations above 0, a digest of
 * the wrong length — written in the lab's scenario vocabulary, and the simulated Internet with
 * them and the whole catalogue. Test support only.
 */
import {
  EE_311,
  SCENARIOS,
  SIGNED,
  singleMx,
  startInternet,
  tlsa,
  type Internet,
  type Scenario,
} from '../../src/lab/index.ts';
import { createResolver } from '../../src/mta/index.ts';
import type { Resolver } from '../../src/dns/resolver/index.ts';
import type { Clock } from '../../src/util/index.ts';

/** Delivery does not matter here: the checker's tests never send mail. */
const anyDelivery = (h: string) => ({
  outcome: 'delivered' as const,
  tls: 'encrypted' as const,
  landsOn: h,
  log: [],
});

export const CHECKER_SCENARIOS: readonly Scenario[] = [
  singleMx('chk-wrong-owner', 'TLSA 3 1 1 published at the mail domain, not at the MX host', {
    host: { cert: { issuer: 'ca' }, tlsa: [EE_311], tlsaAt: 'chk-wrong-owner.test' },
    expect: anyDelivery,
  }),
  singleMx('chk-wrong-port', 'TLSA 3 1 1 published for port 25 while the MX host listens elsewhere', {
    host: { cert: { issuer: 'ca' }, tlsa: [EE_311], tlsaPort: 25 },
    expect: anyDelivery,
  }),
  singleMx('chk-island', 'a signed zone whose parent has no DS for it (an island), with TLSA', {
    host: { cert: { issuer: 'ca' }, tlsa: [EE_311] },
    zone: { ds: 'none' },
    expect: anyDelivery,
  }),
  singleMx('chk-nsec3-iterations', 'NSEC3 with 10 extra iterations (RFC 9276 says 0)', {
    signing: { ...SIGNED.nsec3_13, iterations: 10 },
    host: { cert: { issuer: 'ca' }, tlsa: [EE_311] },
    expect: anyDelivery,
  }),
  singleMx('chk-digest-length', 'a 3 1 1 record whose digest has 31 octets instead of 32', {
    host: { cert: { issuer: 'ca' } },
    zone: { records: [`_{port}._tcp.mx IN TLSA 3 1 1 ${'ab'.repeat(31)}`] },
    expect: anyDelivery,
  }),
  singleMx(
    'chk-ee-and-ta',
    'DANE-EE 3 1 1 and DANE-TA 2 1 1 of the issuing CA: a renewal by the same CA is safe',
    {
      host: { cert: { issuer: 'intermediate' }, tlsa: [EE_311, tlsa(2, 1, 1, 'intermediate')] },
      expect: anyDelivery,
    },
  ),
];

/** The catalogue and the checker's shapes. */
export const ALL_SCENARIOS: readonly Scenario[] = [...SCENARIOS, ...CHECKER_SCENARIOS];

/** Start the simulated Internet with every scenario on `baseAddress`. */
export function startCheckerInternet(baseAddress: string, clock?: Clock): Promise<Internet> {
  return startInternet({ scenarios: ALL_SCENARIOS, baseAddress, ...(clock === undefined ? {} : { clock }) });
}

/** A validating resolver pointed at the lab, built as every caller builds one (mta's createResolver). */
export function labResolver(
  net: Internet,
  opts: { mode?: 'validate' | 'recursive'; clock?: Clock } = {},
): Resolver {
  const deps = opts.clock === undefined ? {} : { clock: opts.clock };
  if (opts.mode === 'recursive') {
    return createResolver(
      {
        mode: 'recursive',
        rootHints: net.rootHintsText,
        port: net.dnsPort,
        trustAnchors: net.trustAnchorText,
        timeoutMs: 1000,
      },
      deps,
    );
  }
  return createResolver(
    {
      mode: 'validate',
      resolvers: [`${net.allZonesAddress}:${net.dnsPort}`],
      trustAnchors: net.trustAnchorText,
      timeoutMs: 1000,
    },
    deps,
  );
}
