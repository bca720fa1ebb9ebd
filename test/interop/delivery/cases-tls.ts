/**
 * Delivery cases where one MX presents a chain and the TLSA records decide: DANE-EE 3 1 1,
 * 3 0 1 and 3 1 2; DANE-TA 2 0 1 and 2 1 1 with a private CA (with and without the root in the
 * chain); DANE-EE on expired or wrongly named certificates (RFC 7671 §5.1: no name or expiry
 * checks); DANE-TA with a wrong name or a trust anchor the server does not send; a wrong
 * digest; one wrong plus one right record; only PKIX usages (RFC 7672 §3.1.3: TLS mandatory,
 * unauthenticated); TLSA records but no STARTTLS (RFC 7672 §2.2: never plaintext).
 * Must never name an address outside the test's own loopback plan.
 */
import {
  DANE_FAIL,
  DANE_OK,
  EE311,
  simple,
  type AddressOf,
  type DeliveryCase,
  type Simple,
  type Want,
} from './case-kit.ts';
import { tlsaOf, wrongDigest, type Pki, type TlsaParams } from './pki.ts';

/** Cases where a domain's one MX presents a chain and the TLSA records decide. */
export function authenticationCases(pki: Pki, at: AddressOf): DeliveryCase[] {
  const ee = (c: Pki['good'], m: Partial<TlsaParams> = {}): string => tlsaOf(c, { ...EE311, ...m });
  const rows: { name: string; s: Simple; want: (host: string, tlsa: readonly string[]) => Want }[] = [
    {
      name: 'DANE-EE 3 1 1: delivered, authenticated',
      s: { zone: 'dane', label: 'ee311', receiver: 'good', tlsa: [ee(pki.good)] },
      want: (h, t) => DANE_OK('good', h, t),
    },
    {
      name: 'DANE-EE 3 0 1 (ldns-signed NSEC3 zone): delivered, authenticated',
      s: { zone: 'nsec3', label: 'ee301', receiver: 'good', tlsa: [ee(pki.good, { selector: 0 })] },
      want: (h, t) => DANE_OK('good', h, t),
    },
    {
      name: 'DANE-EE 3 1 2 (SHA-512): delivered, authenticated',
      s: { zone: 'nsec3', label: 'ee312', receiver: 'good', tlsa: [ee(pki.good, { matchingType: 2 })] },
      want: (h, t) => DANE_OK('good', h, t),
    },
    {
      name: 'DANE-TA 2 0 1 on the private root CA (root in the chain): delivered',
      s: {
        zone: 'dane',
        label: 'ta201',
        receiver: 'good',
        tlsa: [tlsaOf(pki.root, { usage: 2, selector: 0, matchingType: 1 })],
      },
      want: (h, t) => DANE_OK('good', h, t),
    },
    {
      name: 'DANE-TA 2 1 1 on the intermediate (chain without root, RSA leaf): delivered',
      s: {
        zone: 'dane',
        label: 'ta211',
        receiver: 'noRoot',
        tlsa: [tlsaOf(pki.intermediate, { usage: 2, selector: 1, matchingType: 1 })],
      },
      want: (h, t) => DANE_OK('noRoot', h, t),
    },
    {
      name: 'DANE-TA 2 1 1 on the root CA (NSEC3 zone): delivered',
      s: {
        zone: 'nsec3',
        label: 'ta211root',
        receiver: 'good',
        tlsa: [tlsaOf(pki.root, { usage: 2, selector: 1, matchingType: 1 })],
      },
      want: (h, t) => DANE_OK('good', h, t),
    },
    {
      name: 'DANE-EE on an expired certificate for another name: delivered (no expiry or name checks)',
      s: { zone: 'dane', label: 'ee-expired', receiver: 'expired', tlsa: [ee(pki.expired)] },
      want: (h, t) => DANE_OK('expired', h, t),
    },
    {
      name: 'DANE-EE on a CA-issued certificate with a wrong name: delivered',
      s: { zone: 'dane', label: 'ee-wrongname', receiver: 'wrongName', tlsa: [ee(pki.wrongName)] },
      want: (h, t) => DANE_OK('wrongName', h, t),
    },
    {
      name: 'DANE-TA with a wrongly named leaf: deferred 4.7.5, nothing sent',
      s: {
        zone: 'dane',
        label: 'ta-wrongname',
        receiver: 'wrongName',
        tlsa: [tlsaOf(pki.root, { usage: 2, selector: 0, matchingType: 1 })],
      },
      want: (h, t) => DANE_FAIL(h, t),
    },
    {
      name: 'DANE-TA 2 0 1 on a root CA the server does not send: deferred 4.7.5',
      s: {
        zone: 'dane',
        label: 'ta-noroot',
        receiver: 'noRoot',
        tlsa: [tlsaOf(pki.root, { usage: 2, selector: 0, matchingType: 1 })],
      },
      want: (h, t) => DANE_FAIL(h, t),
    },
    {
      name: 'a wrong digest: deferred 4.7.5',
      s: { zone: 'dane', label: 'wrong-digest', receiver: 'good', tlsa: [wrongDigest(ee(pki.good))] },
      want: (h, t) => DANE_FAIL(h, t),
    },
    {
      name: 'one wrong and one right record: delivered, authenticated',
      s: {
        zone: 'dane',
        label: 'one-right',
        receiver: 'good',
        tlsa: [wrongDigest(ee(pki.good)), ee(pki.good)],
      },
      want: (h, t) => DANE_OK('good', h, t),
    },
    {
      name: 'only PKIX-TA/PKIX-EE (usage 0/1) records: TLS mandatory, unauthenticated',
      s: {
        zone: 'dane',
        label: 'pkix-only',
        receiver: 'good',
        tlsa: [
          tlsaOf(pki.root, { usage: 0, selector: 0, matchingType: 1 }),
          tlsaOf(pki.good, { usage: 1, selector: 1, matchingType: 1 }),
        ],
      },
      want: (h, t) => ({
        outcome: 'delivered',
        tls: 'encrypted',
        landed: 'good',
        mx: h,
        dane: ['unusable'],
        tlsa: t,
        dnssec: 'secure',
        tlsaQueried: true,
        log: [/^DANE: no usable TLSA records for h-pkix-only\.dane\.example \(TLS required/],
      }),
    },
    {
      name: 'TLSA records but no STARTTLS: deferred, never sent in plaintext',
      s: { zone: 'dane', label: 'no-starttls', receiver: 'noTls', tlsa: [ee(pki.good)] },
      want: (h, t) => ({
        outcome: 'deferred',
        tls: null,
        landed: null,
        mx: h,
        tlsa: t,
        tlsaQueried: true,
        log: [/^STARTTLS not offered by h-no-starttls\.dane\.example/],
      }),
    },
  ];
  return rows.map((r) => {
    const c = simple(r.s, at);
    return { name: r.name, to: c.to, records: c.records, want: r.want(c.host, r.s.tlsa) };
  });
}
