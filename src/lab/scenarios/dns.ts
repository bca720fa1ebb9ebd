/**
 * Scenarios about the DNS side of RFC 7672 §2: secure and insecure MX RRsets and hosts (§2.2.1,
 * §2.2.2), an MX host in an unsigned zone behind NSEC3 opt-out, secure NODATA and NXDOMAIN for
 * the TLSA name with NSEC and NSEC3 (§2.2.3), bogus TLSA and MX RRsets, a DS that matches no key,
 * a null MX (RFC 7505), a domain without MX (RFC 5321 §5.1) and one that does not exist.
 * Data only; the expected results follow DESIGN.md's decision order.
 */
import { daneFailLog, deliveredDane, EE_311, SIGNED, singleMx } from './kit.ts';
import type { Expectation, Scenario, ZoneSigning } from './types.ts';

/** Optional TLS to a secure host that has no TLSA records. */
function noTlsaExpect(h: string): Expectation {
  return {
    outcome: 'delivered',
    tls: 'encrypted',
    landsOn: h,
    log: [
      `Connecting to [{ip:${h}}]:{port} (DNSSEC)`,
      'DANE: … (falling back to optional TLS)',
      'X.509 error: …',
      'Connection is now using TLS',
    ],
    notLog: ['DANE: validated successfully'],
  };
}

/** A secure host with a record at `_<port>._tcp` that is not a TLSA record → NODATA. */
function tlsaNodata(id: string, signing: ZoneSigning, denial: string): Scenario {
  return singleMx(id, `secure NODATA for the TLSA name (${denial}) → optional TLS`, {
    signing,
    zone: { records: ['_{port}._tcp.mx IN TXT "no TLSA here"'] },
    expect: noTlsaExpect,
  });
}

/** A secure host with nothing below it → NXDOMAIN for the TLSA name. */
function tlsaNxdomain(id: string, signing: ZoneSigning, denial: string): Scenario {
  return singleMx(id, `secure NXDOMAIN for the TLSA name (${denial}) → optional TLS`, {
    signing,
    expect: noTlsaExpect,
  });
}

export const DNS_SCENARIOS: readonly Scenario[] = [
  tlsaNodata('tlsa-nodata-nsec', SIGNED.nsec13, 'NSEC'),
  tlsaNodata('tlsa-nodata-nsec3', SIGNED.nsec3_13, 'NSEC3'),
  tlsaNxdomain('tlsa-nxdomain-nsec', SIGNED.nsec15, 'NSEC'),
  tlsaNxdomain('tlsa-nxdomain-nsec3', SIGNED.nsec3_8, 'NSEC3'),
  {
    id: 'mx-host-unsigned',
    title: 'signed domain, MX host in an unsigned zone (NSEC3 opt-out) → no TLSA query, optional TLS',
    domain: 'mx-host-unsigned.test',
    zones: [
      { origin: 'mx-host-unsigned.test.', signing: SIGNED.optout13 },
      {
        origin: 'hosting.mx-host-unsigned.test.',
        signing: 'unsigned',
        // Must be ignored: TLSA records of an insecure host are never even asked for.
        records: [`_{port}._tcp.mx IN TLSA 3 1 1 ${'00'.repeat(32)}`],
      },
    ],
    mx: [{ preference: 10, host: 'mx.hosting.mx-host-unsigned.test' }],
    hosts: [{ name: 'mx.hosting.mx-host-unsigned.test', cert: { issuer: 'ca' } }],
    expect: {
      outcome: 'delivered',
      tls: 'encrypted',
      landsOn: 'mx.hosting.mx-host-unsigned.test',
      log: [
        'Connecting to [{ip:mx.hosting.mx-host-unsigned.test}]:{port}',
        'DANE: insecure name mx.hosting.mx-host-unsigned.test (falling back to optional TLS)',
        'Connection is now using TLS',
      ],
      notLog: ['DANE: validated successfully', '… (DNSSEC)'],
      noTlsaQuery: true,
    },
  },
  {
    id: 'insecure-mx-secure-host',
    title: 'unsigned domain whose MX host is signed with TLSA → DANE still applies (insecure-MX policy dane)',
    domain: 'insecure-mx.test',
    zones: [
      { origin: 'insecure-mx.test.', signing: 'unsigned' },
      { origin: 'secure-hosting.test.', signing: SIGNED.nsec13 },
    ],
    mx: [{ preference: 10, host: 'mx.secure-hosting.test' }],
    hosts: [{ name: 'mx.secure-hosting.test', cert: { issuer: 'ca' }, tlsa: [EE_311] }],
    expect: deliveredDane('mx.secure-hosting.test'),
  },
  singleMx('plain-no-tls', 'unsigned domain whose MX offers no STARTTLS → delivered in plaintext', {
    signing: 'unsigned',
    host: {},
    expect: (h, d) => ({
      outcome: 'delivered',
      tls: 'none',
      landsOn: h,
      log: [`Connecting to [{ip:${h}}]:{port}`, `DANE: insecure name ${d} (falling back to optional TLS)`],
      notLog: ['Connection is now using TLS'],
    }),
  }),
  singleMx('bogus-tlsa', 'TLSA RRset with a broken signature (bogus) → host skipped, deferred', {
    host: { cert: { issuer: 'ca' }, tlsa: [EE_311] },
    zone: { breaks: [{ name: '_{port}._tcp.mx', type: 'TLSA', how: 'bad-signature' }] },
    expect: (h) => ({
      outcome: 'deferred',
      enhanced: '4.7.5',
      tls: null,
      landsOn: null,
      log: [`Skipping ${h}: TLSA lookup for _{port}._tcp.${h}. failed: …`, 'Deferred: 4.7.5 …'],
      notLog: ['Connecting to …'],
      untouched: [h],
    }),
  }),
  singleMx('bogus-mx', 'MX RRset with an expired RRSIG (bogus) → deferred, no connection', {
    host: { cert: { issuer: 'ca' }, tlsa: [EE_311] },
    zone: { breaks: [{ name: '@', type: 'MX', how: 'expired' }] },
    expect: (h, d) => ({
      outcome: 'deferred',
      enhanced: '4.4.3',
      tls: null,
      landsOn: null,
      log: [`DNS: MX lookup for ${d}. failed: …`, 'Deferred: 4.4.3 …'],
      notLog: ['Connecting to …'],
      untouched: [h],
    }),
  }),
  singleMx('ds-mismatch', 'the parent publishes a DS matching no DNSKEY: every answer is bogus → deferred', {
    host: { cert: { issuer: 'ca' }, tlsa: [EE_311] },
    zone: { ds: 'mismatch' },
    expect: (h) => ({
      outcome: 'deferred',
      enhanced: '4.4.3',
      tls: null,
      landsOn: null,
      log: ['DNS: MX lookup for … failed: …', 'Deferred: 4.4.3 …'],
      notLog: ['Connecting to …'],
      untouched: [h],
    }),
  }),
  {
    id: 'null-mx',
    title: 'null MX "0 ." (RFC 7505) → bounced 5.1.10',
    domain: 'null-mx.test',
    zones: [{ origin: 'null-mx.test.', signing: SIGNED.nsec3_13 }],
    mx: 'null',
    hosts: [],
    expect: {
      outcome: 'bounced',
      enhanced: '5.1.10',
      tls: null,
      landsOn: null,
      log: ['Bounced: 5.1.10 …'],
      notLog: ['Connecting to …'],
    },
  },
  {
    id: 'no-mx',
    title: 'no MX RRset (secure NODATA): the domain itself is the host, with TLSA → DANE',
    domain: 'no-mx.test',
    zones: [{ origin: 'no-mx.test.', signing: SIGNED.nsec13 }],
    mx: 'none',
    hosts: [{ name: 'no-mx.test', cert: { issuer: 'ca' }, tlsa: [EE_311] }],
    expect: deliveredDane('no-mx.test'),
  },
  {
    id: 'nxdomain',
    title: 'the domain does not exist (secure NXDOMAIN from the TLD) → bounced 5.1.2',
    domain: 'does-not-exist.test',
    zones: [],
    mx: 'nxdomain',
    hosts: [],
    expect: {
      outcome: 'bounced',
      enhanced: '5.1.2',
      tls: null,
      landsOn: null,
      log: ['Bounced: 5.1.2 …'],
      notLog: ['Connecting to …'],
    },
  },
];

/** The three deliveries `npm run demo` makes, in order. */
export const DEMO_SCENARIOS: readonly Scenario[] = [
  {
    id: 'demo-dane',
    title: 'a DANE-signed domain: TLSA 3 1 1 in a signed zone → authenticated TLS',
    domain: 'dane-signed.test',
    zones: [{ origin: 'dane-signed.test.', signing: SIGNED.nsec13 }],
    mx: [{ preference: 10, host: 'mx1.dane-signed.test' }],
    hosts: [{ name: 'mx1.dane-signed.test', cert: { issuer: 'ca' }, tlsa: [EE_311] }],
    expect: deliveredDane('mx1.dane-signed.test'),
  },
  {
    id: 'demo-unsigned',
    title: 'an unsigned domain: no DNSSEC, no DANE → opportunistic TLS',
    domain: 'unsigned.test',
    zones: [{ origin: 'unsigned.test.', signing: 'unsigned' }],
    mx: [{ preference: 10, host: 'mx.unsigned.test' }],
    hosts: [{ name: 'mx.unsigned.test', cert: { issuer: 'ca' } }],
    expect: {
      outcome: 'delivered',
      tls: 'encrypted',
      landsOn: 'mx.unsigned.test',
      log: [
        'Connecting to [{ip:mx.unsigned.test}]:{port}',
        'DANE: insecure name unsigned.test (falling back to optional TLS)',
        'X.509 error: …',
        'Connection is now using TLS',
      ],
      notLog: ['DANE: validated successfully'],
    },
  },
  {
    id: 'demo-botched-renewal',
    title: 'a botched certificate renewal: the TLSA record still names the old key → deferred',
    domain: 'botched-renewal.test',
    zones: [{ origin: 'botched-renewal.test.', signing: SIGNED.nsec3_13 }],
    mx: [{ preference: 10, host: 'mx.botched-renewal.test' }],
    hosts: [
      { name: 'mx.botched-renewal.test', cert: { issuer: 'ca' }, tlsa: [{ ...EE_311, of: 'retired-leaf' }] },
    ],
    expect: {
      outcome: 'deferred',
      enhanced: '4.7.5',
      tls: null,
      landsOn: null,
      log: [...daneFailLog('mx.botched-renewal.test'), 'Deferred: 4.7.5 …'],
      notLog: ['Connection is now using TLS'],
    },
  },
];
