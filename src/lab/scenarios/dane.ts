/**
 * Scenarios about matching TLSA records against the presented chain (RFC 7672 §3, RFC 7671 §5,
 * RFC 6698 §2.1): DANE-EE and DANE-TA with every selector and matching type, expired and wrongly
 * named certificates, chains without their trust anchor, wrong digests, digest rollover, unusable
 * PKIX usages, a server without STARTTLS, MX fallback and CNAME'd MX hosts (RFC 7672 §2.2.3).
 * Data only; the expected results follow DESIGN.md's decision order.
 */
import { daneOkLog, deferredDane, deliveredDane, EE_311, SIGNED, singleMx, tlsa } from './kit.ts';
import type { Scenario } from './types.ts';

/** A leaf name that matches neither the MX host nor the domain. */
const UNRELATED = 'unrelated.example';

export const DANE_SCENARIOS: readonly Scenario[] = [
  singleMx('ee-311', 'DANE-EE 3 1 1 (SPKI SHA2-256) of a leaf from a private CA', {
    host: { cert: { issuer: 'ca' }, tlsa: [EE_311] },
    expect: (h) => deliveredDane(h),
  }),
  singleMx('ee-301', 'DANE-EE 3 0 1 (full certificate, SHA2-256); zone with NSEC3', {
    signing: SIGNED.nsec3_13,
    host: { cert: { issuer: 'ca' }, tlsa: [tlsa(3, 0, 1, 'leaf')] },
    expect: (h) => deliveredDane(h),
  }),
  singleMx('ee-312', 'DANE-EE 3 1 2 (SPKI SHA2-512); zone signed with Ed25519 (15)', {
    signing: SIGNED.nsec15,
    host: { cert: { issuer: 'ca' }, tlsa: [tlsa(3, 1, 2, 'leaf')] },
    expect: (h) => deliveredDane(h),
  }),
  singleMx('ta-201', 'DANE-TA 2 0 1 of the private root CA, sent in the chain; zone signed with RSA (8)', {
    signing: SIGNED.nsec3_8,
    host: { cert: { issuer: 'ca', send: 'full' }, tlsa: [tlsa(2, 0, 1, 'ca')] },
    expect: (h) => deliveredDane(h),
  }),
  singleMx('ta-211', 'DANE-TA 2 1 1 of an intermediate CA; zone signed with Ed25519 and NSEC3', {
    signing: SIGNED.nsec3_15,
    host: { cert: { issuer: 'intermediate' }, tlsa: [tlsa(2, 1, 1, 'intermediate')] },
    expect: (h) => deliveredDane(h),
  }),
  singleMx('ee-expired', 'DANE-EE on an expired certificate: no expiry check for usage 3 (RFC 7672 §3.1.1)', {
    host: { cert: { issuer: 'ca', expired: true }, tlsa: [EE_311] },
    expect: (h) => deliveredDane(h),
  }),
  singleMx('ee-wrong-name', 'DANE-EE on a certificate for another name: no name check for usage 3', {
    host: { cert: { issuer: 'ca', names: [UNRELATED] }, tlsa: [EE_311] },
    expect: (h) => deliveredDane(h),
  }),
  singleMx('ta-wrong-name', 'DANE-TA on a leaf naming neither the MX host nor the domain → deferred', {
    host: { cert: { issuer: 'ca', names: [UNRELATED], send: 'full' }, tlsa: [tlsa(2, 0, 1, 'ca')] },
    expect: (h) => deferredDane(h),
  }),
  singleMx('ta-no-ca', 'DANE-TA 2 0 1 of a CA the server does not send (leaf only) → deferred', {
    host: { cert: { issuer: 'ca', send: 'leaf' }, tlsa: [tlsa(2, 0, 1, 'ca')] },
    expect: (h) => deferredDane(h),
  }),
  singleMx('wrong-digest', 'DANE-EE 3 1 1 whose digest matches nothing → deferred, never plaintext', {
    host: { cert: { issuer: 'ca' }, tlsa: [tlsa(3, 1, 1, 'leaf', { corrupt: true })] },
    expect: (h) => deferredDane(h),
  }),
  singleMx('one-wrong-one-right', 'two 3 1 1 records, one stale and one right (a key rollover) → DANE', {
    host: { cert: { issuer: 'ca' }, tlsa: [tlsa(3, 1, 1, 'retired-leaf'), EE_311] },
    expect: (h) => deliveredDane(h),
  }),
  singleMx(
    'usage-01-only',
    'only PKIX-TA/PKIX-EE (0, 1) records: unusable → TLS required, not authenticated',
    {
      host: { cert: { issuer: 'ca' }, tlsa: [tlsa(0, 0, 1, 'ca'), tlsa(1, 1, 1, 'leaf')] },
      expect: (h) => ({
        outcome: 'delivered',
        tls: 'encrypted',
        landsOn: h,
        log: [
          `Connecting to [{ip:${h}}]:{port} (DNSSEC)`,
          `DANE: no usable TLSA records for ${h} (TLS required, not authenticated)`,
          'Connection is now using TLS',
        ],
        notLog: ['DANE: validated successfully'],
      }),
    },
  ),
  singleMx('tlsa-no-starttls', 'TLSA records but the server offers no STARTTLS → deferred, never plaintext', {
    host: { cert: { issuer: 'ca' }, starttls: false, tlsa: [EE_311] },
    expect: (h) => ({
      outcome: 'deferred',
      enhanced: '4.7.5',
      tls: null,
      landsOn: null,
      log: [`Connecting to [{ip:${h}}]:{port} (DNSSEC)`, `STARTTLS not offered by ${h} (TLS is required)`],
      notLog: ['Connection is now using TLS'],
    }),
  }),
  singleMx('rcpt-rejected', 'DANE-authenticated session whose server refuses the recipient (550) → bounced', {
    host: { cert: { issuer: 'ca' }, tlsa: [EE_311], rejectRecipients: true },
    localPart: 'nobody',
    expect: (h) => ({
      outcome: 'bounced',
      enhanced: '5.1.1',
      tls: 'dane',
      landsOn: h,
      log: daneOkLog(h),
    }),
  }),
  {
    id: 'first-mx-fails',
    title: 'first MX fails DANE (wrong digest), the second passes → delivered to the second',
    domain: 'first-mx-fails.test',
    zones: [{ origin: 'first-mx-fails.test.', signing: SIGNED.nsec3_13 }],
    mx: [
      { preference: 10, host: 'mx1.first-mx-fails.test' },
      { preference: 20, host: 'mx2.first-mx-fails.test' },
    ],
    hosts: [
      {
        name: 'mx1.first-mx-fails.test',
        cert: { issuer: 'ca' },
        tlsa: [tlsa(3, 1, 1, 'leaf', { corrupt: true })],
      },
      { name: 'mx2.first-mx-fails.test', cert: { issuer: 'ca' }, tlsa: [EE_311] },
    ],
    expect: deliveredDane('mx2.first-mx-fails.test', {
      log: [
        'Connecting to [{ip:mx1.first-mx-fails.test}]:{port} (DNSSEC)',
        'DANE: validation failed: …',
        ...daneOkLog('mx2.first-mx-fails.test'),
      ],
    }),
  },
  {
    id: 'cname-tlsa-target',
    title: "CNAME'd MX host, TLSA at the CNAME target (RFC 7672 §2.2.3: expanded name first)",
    domain: 'cname-target.test',
    zones: [
      { origin: 'cname-target.test.', signing: SIGNED.nsec13 },
      { origin: 'provider-a.test.', signing: SIGNED.nsec3_13 },
    ],
    mx: [{ preference: 10, host: 'mx.cname-target.test' }],
    hosts: [
      {
        name: 'smtp.provider-a.test',
        aliases: ['mx.cname-target.test'],
        cert: { issuer: 'ca' },
        tlsa: [EE_311],
      },
    ],
    expect: deliveredDane('smtp.provider-a.test', {
      sni: 'smtp.provider-a.test',
      log: daneOkLog('smtp.provider-a.test'),
    }),
  },
  {
    id: 'cname-tlsa-alias',
    title: "CNAME'd MX host, TLSA only at the alias (RFC 7672 §2.2.3: then the original name)",
    domain: 'cname-alias.test',
    zones: [
      { origin: 'cname-alias.test.', signing: SIGNED.nsec3_13 },
      { origin: 'provider-b.test.', signing: SIGNED.nsec13 },
    ],
    mx: [{ preference: 10, host: 'mx.cname-alias.test' }],
    hosts: [
      {
        name: 'smtp.provider-b.test',
        aliases: ['mx.cname-alias.test'],
        tlsaAt: 'mx.cname-alias.test',
        cert: { issuer: 'ca' },
        tlsa: [EE_311],
      },
    ],
    expect: deliveredDane('smtp.provider-b.test', {
      sni: 'mx.cname-alias.test',
      log: daneOkLog('smtp.provider-b.test'),
    }),
  },
  {
    id: 'cname-to-unsigned',
    title: 'signed CNAME to an MX host in an unsigned zone, TLSA at the alias (RFC 7672 §2.2.2 first link)',
    domain: 'cname-unsigned.test',
    zones: [
      { origin: 'cname-unsigned.test.', signing: SIGNED.nsec13 },
      { origin: 'provider-c.test.', signing: 'unsigned' },
    ],
    mx: [{ preference: 10, host: 'mx.cname-unsigned.test' }],
    hosts: [
      {
        name: 'smtp.provider-c.test',
        aliases: ['mx.cname-unsigned.test'],
        tlsaAt: 'mx.cname-unsigned.test',
        cert: { issuer: 'ca' },
        tlsa: [EE_311],
      },
    ],
    expect: deliveredDane('smtp.provider-c.test', {
      sni: 'mx.cname-unsigned.test',
      // The address itself is insecure (no "(DNSSEC)"), but the host is secure by its first link.
      log: ['Connecting to [{ip:smtp.provider-c.test}]:{port}', 'X.509: …', 'DANE: validated successfully'],
      notLog: ['… (DNSSEC)'],
    }),
  },
];
