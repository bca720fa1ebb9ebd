/**
 * Delivery cases where DNS decides: an MX host in an unsigned zone and an unsigned domain (RFC
 * 7672 §2.2.2: no TLSA query, optional TLS); secure NODATA / NXDOMAIN for the TLSA name with
 * NSEC and NSEC3 (optional TLS); bogus TLSA and MX RRsets (deferred); CNAME'd MX hosts with TLSA
 * at the target or only at the alias (§2.2.3); a first MX that fails DANE and a second that
 * passes; null MX (RFC 7505), implicit MX and NXDOMAIN (RFC 5321 §5.1).
 * Must never name an address outside the test's own loopback plan.
 */
import type { Proof } from '../../../src/dns/dnssec/index.ts';
import {
  DANE_OK,
  EE311,
  simple,
  type AddressOf,
  type DeliveryCase,
  type Want,
  type ZoneKey,
} from './case-kit.ts';
import { tlsaOf, wrongDigest, type Pki } from './pki.ts';

/** Cases where DNSSEC status or denial of existence decides. */
export function dnsCases(pki: Pki, at: AddressOf): DeliveryCase[] {
  const ee = tlsaOf(pki.good, EE311);
  const good = at('good');
  const optional = (mx: string, dnssec: Proof, tlsaQueried: boolean, log: RegExp): Want => ({
    outcome: 'delivered',
    tls: 'encrypted',
    landed: 'good',
    mx,
    dane: ['none'],
    tlsa: [],
    dnssec,
    tlsaQueried,
    log: [log],
  });
  const denial = (zone: ZoneKey, kind: 'nodata' | 'nxdomain'): DeliveryCase => {
    const c = simple({ zone, label: `tlsa-${kind}`, receiver: 'good', tlsa: [] }, at);
    const extra = kind === 'nodata' ? `\n_25._tcp.${c.host}. 3600 IN TXT "no TLSA here"` : '';
    const owner = `_25._tcp.${c.host}.`;
    return {
      name: `secure ${kind.toUpperCase()} for the TLSA name (${zone === 'dane' ? 'NSEC' : 'NSEC3'}): optional TLS`,
      to: c.to,
      records: { [zone]: `${c.records[zone] ?? ''}${extra}` },
      probe: { name: owner, type: 'TLSA', kind, status: 'secure' },
      want: optional(c.host, 'secure', true, /^DANE: no TLSA records at _25\._tcp\.h-tlsa-/),
    };
  };
  const bogusTlsa = simple({ zone: 'dane', label: 'bogus-tlsa', receiver: 'good', tlsa: [ee] }, at);
  const bogusMx = simple({ zone: 'dane', label: 'bogus-mx', receiver: 'good', tlsa: [ee] }, at);
  return [
    {
      name: 'an MX host in an unsigned zone: no TLSA query, optional TLS',
      to: 'user@insecure-host.dane.example',
      records: {
        dane: 'insecure-host.dane.example. 3600 IN MX 10 h-insecure-host.plain.example.',
        plain: [
          `h-insecure-host.plain.example. 3600 IN A ${good}`,
          `_25._tcp.h-insecure-host.plain.example. 3600 IN TLSA ${wrongDigest(ee)}`,
        ].join('\n'),
      },
      probe: { name: 'h-insecure-host.plain.example.', type: 'A', kind: 'answer', status: 'insecure' },
      want: optional(
        'h-insecure-host.plain.example',
        'insecure',
        false,
        /^DANE: insecure name h-insecure-host\.plain\.example \(falling back to optional TLS\)$/,
      ),
    },
    {
      name: 'an unsigned domain: no TLSA query, optional TLS',
      to: 'user@unsigned.plain.example',
      records: {
        plain: [
          'unsigned.plain.example. 3600 IN MX 10 h-unsigned.plain.example.',
          `h-unsigned.plain.example. 3600 IN A ${good}`,
          `_25._tcp.h-unsigned.plain.example. 3600 IN TLSA ${wrongDigest(ee)}`,
        ].join('\n'),
      },
      probe: { name: 'unsigned.plain.example.', type: 'MX', kind: 'answer', status: 'insecure' },
      want: optional(
        'h-unsigned.plain.example',
        'insecure',
        false,
        /^DANE: insecure name unsigned\.plain\.example \(falling back to optional TLS\)$/,
      ),
    },
    denial('dane', 'nodata'),
    denial('dane', 'nxdomain'),
    denial('nsec3', 'nodata'),
    denial('nsec3', 'nxdomain'),
    {
      name: 'a bogus TLSA RRset: deferred, nothing sent',
      to: bogusTlsa.to,
      records: bogusTlsa.records,
      corrupt: { zone: 'dane', owner: `_25._tcp.${bogusTlsa.host}.`, type: 'TLSA' },
      probe: { name: `_25._tcp.${bogusTlsa.host}.`, type: 'TLSA', kind: 'failed', status: 'bogus' },
      want: {
        outcome: 'deferred',
        enhanced: '4.7.5',
        tls: null,
        landed: null,
        mx: bogusTlsa.host,
        dane: ['none'],
        tlsaQueried: true,
        log: [/^Skipping h-bogus-tlsa\.dane\.example: TLSA lookup for _25\._tcp\.h-bogus-tlsa/],
      },
    },
    {
      name: 'a bogus MX RRset: deferred 4.4.3, no connection',
      to: bogusMx.to,
      records: bogusMx.records,
      corrupt: { zone: 'dane', owner: 'bogus-mx.dane.example.', type: 'MX' },
      probe: { name: 'bogus-mx.dane.example.', type: 'MX', kind: 'failed', status: 'bogus' },
      want: {
        outcome: 'deferred',
        enhanced: '4.4.3',
        tls: null,
        landed: null,
        dane: [],
        tlsaQueried: false,
        log: [/^DNS: MX lookup for bogus-mx\.dane\.example\. failed/],
      },
    },
  ];
}

/** MX-walk cases: CNAME'd hosts, two MX hosts, null MX, implicit MX, no such domain. */
export function mxCases(pki: Pki, at: AddressOf): DeliveryCase[] {
  const ee = tlsaOf(pki.good, EE311);
  const ta = tlsaOf(pki.intermediate, { usage: 2, selector: 1, matchingType: 1 });
  const good = at('good');
  return [
    {
      name: "a CNAME'd MX host with TLSA at the target: the target's records are used",
      to: 'user@cname-target.dane.example',
      records: {
        dane: [
          'cname-target.dane.example. 3600 IN MX 10 h-cname-target.dane.example.',
          'h-cname-target.dane.example. 3600 IN CNAME h-target1.nsec3.example.',
          `_25._tcp.h-cname-target.dane.example. 3600 IN TLSA ${wrongDigest(ee)}`,
        ].join('\n'),
        nsec3: [
          `h-target1.nsec3.example. 3600 IN A ${good}`,
          `_25._tcp.h-target1.nsec3.example. 3600 IN TLSA ${ta}`,
        ].join('\n'),
      },
      want: DANE_OK('good', 'h-cname-target.dane.example', [ta]),
    },
    {
      name: "a CNAME'd MX host with TLSA only at the alias: the alias's records are used",
      to: 'user@cname-alias.dane.example',
      records: {
        dane: [
          'cname-alias.dane.example. 3600 IN MX 10 h-cname-alias.dane.example.',
          'h-cname-alias.dane.example. 3600 IN CNAME h-target2.nsec3.example.',
          `_25._tcp.h-cname-alias.dane.example. 3600 IN TLSA ${ee}`,
        ].join('\n'),
        nsec3: `h-target2.nsec3.example. 3600 IN A ${good}`,
      },
      probe: { name: '_25._tcp.h-target2.nsec3.example.', type: 'TLSA', kind: 'nxdomain', status: 'secure' },
      want: DANE_OK('good', 'h-cname-alias.dane.example', [ee]),
    },
    {
      name: 'the first MX fails DANE, the second passes: delivered by the second',
      to: 'user@two-mx.dane.example',
      records: {
        dane: [
          'two-mx.dane.example. 3600 IN MX 10 h-two-mx-bad.dane.example.',
          'two-mx.dane.example. 3600 IN MX 20 h-two-mx-good.dane.example.',
          `h-two-mx-bad.dane.example. 3600 IN A ${good}`,
          `_25._tcp.h-two-mx-bad.dane.example. 3600 IN TLSA ${wrongDigest(ee)}`,
          `h-two-mx-good.dane.example. 3600 IN A ${good}`,
          `_25._tcp.h-two-mx-good.dane.example. 3600 IN TLSA ${ee}`,
        ].join('\n'),
      },
      want: { ...DANE_OK('good', 'h-two-mx-good.dane.example', [ee]), dane: ['failed', 'validated'] },
    },
    {
      name: 'a null MX: bounced 5.1.10 (RFC 7505), no connection',
      to: 'user@null-mx.dane.example',
      records: { dane: 'null-mx.dane.example. 3600 IN MX 0 .' },
      want: { outcome: 'bounced', enhanced: '5.1.10', tls: null, landed: null, dane: [], tlsaQueried: false },
    },
    {
      name: 'a domain without MX: the domain itself is the host (implicit MX), authenticated',
      to: 'user@implicit.dane.example',
      records: {
        dane: [
          `implicit.dane.example. 3600 IN A ${good}`,
          `_25._tcp.implicit.dane.example. 3600 IN TLSA ${ee}`,
        ].join('\n'),
      },
      probe: { name: 'implicit.dane.example.', type: 'MX', kind: 'nodata', status: 'secure' },
      want: DANE_OK('good', 'implicit.dane.example', [ee]),
    },
    {
      name: 'a domain that does not exist: bounced 5.1.2',
      to: 'user@nowhere.dane.example',
      probe: { name: 'nowhere.dane.example.', type: 'MX', kind: 'nxdomain', status: 'secure' },
      want: { outcome: 'bounced', enhanced: '5.1.2', tls: null, landed: null, dane: [], tlsaQueried: false },
    },
  ];
}
