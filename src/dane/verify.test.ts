/**
 * Tests of DANE peer authentication (RFC 7672 §3): DANE-EE(3) and DANE-TA(2) scenarios over a
 * PKI made in-process (test/helpers/test-pki.ts) at test time. "now" is 10 days after the root's notBefore, so
 * certificates made with `days: 1` are expired at that time.
 */
import { after, assert, before, test } from '../../test/helpers/test-kit.ts';
import { TestPki, caExt, leafExt, type PkiCert } from '../../test/helpers/test-pki.ts';
import { parseCertificate } from '../x509/index.ts';
import { tlsaFromCertificate } from './generate.ts';
import { isMtaError } from '../util/index.ts';
import { proven } from '../dns/dnssec/index.ts';
import { SecureTlsa } from './secure-tlsa.ts';
import { DaneError, type DaneVerdict, type TlsaRecord } from './types.ts';
import { verifyDanePeer } from './verify.ts';

/** The records as a TLSA RRset proven secure (what the resolver hands DANE). */
function secure(records: TlsaRecord[]): SecureTlsa {
  return SecureTlsa.fromProven(proven(records, 'secure'));
}

const DAY = 86_400_000;
let pki: TestPki;
const c: Record<string, PkiCert> = {};
let now: number;

before(() => {
  pki = new TestPki();
  c.root = pki.selfSigned('root', { subject: '/CN=Root', ext: caExt() });
  c.int = pki.issue('int', c.root, { subject: '/CN=Int', ext: caExt() });
  c.leaf = pki.issue('leaf', c.int, { subject: '/CN=mx1.example.org', ext: leafExt(['mx1.example.org']) });
  c.other = pki.issue('other', c.int, { subject: '/CN=other.example', ext: leafExt(['other.example']) });
  c.stale = pki.issue('stale', c.int, {
    subject: '/CN=wrong.example',
    ext: leafExt(['wrong.example']),
    days: 1,
  });
  c.self = pki.selfSigned('self', { subject: '/CN=self.example', ext: leafExt([]), days: 1 });
  c.wild = pki.issue('wild', c.int, { subject: '/CN=wild', ext: leafExt(['*.example.org']) });
  c.cnOnly = pki.issue('cn-only', c.int, { subject: '/CN=mx1.example.org', ext: leafExt([]) });
  c.noCa = pki.issue('no-ca', c.root, { subject: '/CN=NoCA Int', ext: ['basicConstraints=CA:FALSE'] });
  c.noCaLeaf = pki.issue('no-ca-leaf', c.noCa, {
    subject: '/CN=mx1.example.org',
    ext: leafExt(['mx1.example.org']),
  });
  c.shortInt = pki.issue('short-int', c.root, { subject: '/CN=Short Int', ext: caExt(), days: 1 });
  c.shortLeaf = pki.issue('short-leaf', c.shortInt, {
    subject: '/CN=mx1.example.org',
    ext: leafExt(['mx1.example.org']),
  });
  now = parseCertificate(c.root.der).notBefore + 10 * DAY;
});
after(() => {
  pki.cleanup();
});

const R = (usage: number, selector: number, matchingType: number, cert: PkiCert): TlsaRecord =>
  tlsaFromCertificate(cert.der, { usage, selector, matchingType });
const junk = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);

interface Case {
  name: string;
  chain: () => Uint8Array[];
  records: () => TlsaRecord[];
  refs?: string[];
  want: { ok: boolean; code?: string; usage?: number; depth?: number; name?: string; openssl?: string };
}

const ders =
  (...names: string[]) =>
  () =>
    names.map((n) => c[n]!.der);
const MX = ['mx1.example.org'];

const CASES: Case[] = [
  {
    name: 'DANE-EE 3 1 1 matches the leaf',
    chain: ders('leaf', 'int', 'root'),
    records: () => [R(3, 1, 1, c.leaf!)],
    want: { ok: true, usage: 3, depth: 0 },
  },
  {
    name: 'DANE-EE ignores an expired, wrongly named leaf',
    chain: ders('stale'),
    records: () => [R(3, 1, 1, c.stale!)],
    want: { ok: true, usage: 3, depth: 0 },
  },
  {
    name: 'DANE-EE on a self-signed leaf (3 0 2)',
    chain: ders('self'),
    records: () => [R(3, 0, 2, c.self!)],
    want: { ok: true, usage: 3, depth: 0 },
  },
  {
    name: 'DANE-EE mismatch',
    chain: ders('leaf', 'int'),
    records: () => [R(3, 1, 1, c.other!)],
    want: { ok: false, code: 'DANE_ERR_NO_MATCH', openssl: 'DANE_NO_MATCH' },
  },
  {
    name: 'DANE-EE of the issuer does not authenticate the leaf',
    chain: ders('leaf', 'int'),
    records: () => [R(3, 1, 1, c.int!)],
    want: { ok: false, code: 'DANE_ERR_NO_MATCH' },
  },
  {
    name: 'DANE-TA 2 0 1 of the intermediate',
    chain: ders('leaf', 'int'),
    records: () => [R(2, 0, 1, c.int!)],
    want: { ok: true, usage: 2, depth: 1, name: 'mx1.example.org' },
  },
  {
    name: 'DANE-TA 2 1 1 of the root in the chain',
    chain: ders('leaf', 'int', 'root'),
    records: () => [R(2, 1, 1, c.root!)],
    want: { ok: true, usage: 2, depth: 2 },
  },
  {
    name: 'DANE-TA with a wrong name',
    chain: ders('leaf', 'int'),
    records: () => [R(2, 0, 1, c.int!)],
    refs: ['mx9.example.com'],
    want: { ok: false, code: 'DANE_ERR_NAME_MISMATCH', depth: 1, openssl: 'HOSTNAME_MISMATCH' },
  },
  {
    name: 'DANE-TA: the MX host (second reference name) matches',
    chain: ders('leaf', 'int'),
    records: () => [R(2, 0, 1, c.int!)],
    refs: ['example.com', 'mx1.example.org'],
    want: { ok: true, usage: 2, depth: 1, name: 'mx1.example.org' },
  },
  {
    name: 'DANE-TA: CA missing from the chain (digest record)',
    chain: ders('leaf', 'int'),
    records: () => [R(2, 0, 1, c.root!)],
    want: { ok: false, code: 'DANE_ERR_NO_MATCH' },
  },
  {
    name: 'DANE-TA: CA missing, 2 0 0 full root from DNS',
    chain: ders('leaf', 'int'),
    records: () => [R(2, 0, 0, c.root!)],
    want: { ok: true, usage: 2, depth: 2 },
  },
  {
    name: 'DANE-TA: intermediate missing, 2 0 0 full intermediate',
    chain: ders('leaf'),
    records: () => [R(2, 0, 0, c.int!)],
    want: { ok: true, usage: 2, depth: 1 },
  },
  {
    name: 'DANE-TA: intermediate missing, 2 1 0 bare key',
    chain: ders('leaf'),
    records: () => [R(2, 1, 0, c.int!)],
    want: { ok: true, usage: 2, depth: 0 },
  },
  {
    name: 'DANE-TA: root key 2 1 0 signs the intermediate',
    chain: ders('leaf', 'int'),
    records: () => [R(2, 1, 0, c.root!)],
    want: { ok: true, usage: 2, depth: 1 },
  },
  {
    name: 'DANE-TA: intermediate missing, digest only',
    chain: ders('leaf'),
    records: () => [R(2, 0, 1, c.int!)],
    want: { ok: false, code: 'DANE_ERR_NO_MATCH' },
  },
  {
    name: 'DANE-TA never matches the leaf itself',
    chain: ders('leaf', 'int'),
    records: () => [R(2, 0, 1, c.leaf!)],
    want: { ok: false, code: 'DANE_ERR_NO_MATCH' },
  },
  {
    name: 'wildcard leaf matches one label',
    chain: ders('wild', 'int'),
    records: () => [R(2, 0, 1, c.int!)],
    refs: ['mx7.example.org'],
    want: { ok: true, usage: 2, name: 'mx7.example.org' },
  },
  {
    name: 'wildcard leaf does not match two labels',
    chain: ders('wild', 'int'),
    records: () => [R(2, 0, 1, c.int!)],
    refs: ['a.b.example.org'],
    want: { ok: false, code: 'DANE_ERR_NAME_MISMATCH' },
  },
  {
    name: 'wildcard leaf does not match the parent',
    chain: ders('wild', 'int'),
    records: () => [R(2, 0, 1, c.int!)],
    refs: ['example.org'],
    want: { ok: false, code: 'DANE_ERR_NAME_MISMATCH' },
  },
  {
    name: 'CN used when the leaf has no DNS SAN',
    chain: ders('cnOnly', 'int'),
    records: () => [R(2, 0, 1, c.int!)],
    want: { ok: true, usage: 2 },
  },
  {
    name: 'CA flag missing on the intermediate',
    chain: ders('noCaLeaf', 'noCa', 'root'),
    records: () => [R(2, 0, 1, c.root!)],
    want: { ok: false, code: 'DANE_ERR_CHAIN', depth: 2, openssl: 'INVALID_CA' },
  },
  {
    name: 'expired intermediate',
    chain: ders('shortLeaf', 'shortInt', 'root'),
    records: () => [R(2, 0, 1, c.root!)],
    want: { ok: false, code: 'DANE_ERR_EXPIRED', depth: 2, openssl: 'CERT_HAS_EXPIRED' },
  },
  {
    name: 'expired trust anchor certificate',
    chain: ders('shortLeaf', 'shortInt'),
    records: () => [R(2, 0, 1, c.shortInt!)],
    want: { ok: false, code: 'DANE_ERR_EXPIRED', depth: 1 },
  },
  {
    name: 'expired leaf under DANE-TA',
    chain: ders('stale', 'int'),
    records: () => [R(2, 0, 1, c.int!)],
    refs: ['wrong.example'],
    want: { ok: false, code: 'DANE_ERR_EXPIRED' },
  },
  {
    name: 'DANE-EE wins over a failing DANE-TA',
    chain: ders('leaf', 'int'),
    records: () => [R(2, 0, 1, c.int!), R(3, 1, 1, c.leaf!)],
    refs: ['nomatch.example'],
    want: { ok: true, usage: 3, depth: 0 },
  },
  {
    name: 'digest agility: a matching 3 1 1 is ignored beside a 3 1 2',
    chain: ders('leaf'),
    records: () => [R(3, 1, 1, c.leaf!), R(3, 1, 2, c.other!)],
    want: { ok: false, code: 'DANE_ERR_NO_MATCH' },
  },
  {
    name: 'digest agility: Full(0) is kept beside a 3 1 2',
    chain: ders('leaf'),
    records: () => [R(3, 1, 0, c.leaf!), R(3, 1, 2, c.other!)],
    want: { ok: true, usage: 3 },
  },
  {
    name: 'only PKIX usages: no usable TLSA',
    chain: ders('leaf', 'int', 'root'),
    records: () => [R(1, 1, 1, c.leaf!), R(0, 0, 1, c.root!)],
    want: { ok: false, code: 'DANE_ERR_NO_USABLE_TLSA' },
  },
  {
    name: 'empty RRset: no usable TLSA',
    chain: ders('leaf'),
    records: () => [],
    want: { ok: false, code: 'DANE_ERR_NO_USABLE_TLSA' },
  },
  {
    name: 'no certificate presented',
    chain: () => [],
    records: () => [R(3, 1, 1, c.leaf!)],
    want: { ok: false, code: 'DANE_ERR_BAD_CERT' },
  },
  {
    name: 'malformed leaf, DANE-EE SPKI record',
    chain: () => [junk],
    records: () => [R(3, 1, 1, c.leaf!)],
    want: { ok: false, code: 'DANE_ERR_BAD_CERT' },
  },
  {
    name: 'malformed leaf, DANE-TA record',
    chain: () => [junk, c.int!.der],
    records: () => [R(2, 0, 1, c.int!)],
    want: { ok: false, code: 'DANE_ERR_BAD_CERT' },
  },
  {
    name: 'a long peer chain cannot crowd out a TA certificate from DNS',
    chain: () => [
      c.leaf!.der,
      c.int!.der,
      ...Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? c.other! : c.self!).der),
    ],
    records: () => [R(2, 0, 0, c.root!)],
    want: { ok: true, usage: 2, depth: 2 },
  },
  {
    name: 'a malformed intermediate is skipped',
    chain: () => [c.leaf!.der, junk, c.int!.der, c.root!.der],
    records: () => [R(2, 0, 1, c.root!)],
    want: { ok: true, usage: 2, depth: 2 },
  },
];

test('verifyDanePeer scenarios', () => {
  for (const t of CASES) {
    const v: DaneVerdict = verifyDanePeer(t.chain(), secure(t.records()), {
      referenceNames: t.refs ?? MX,
      now,
    });
    const label = `${t.name}: ${v.reason}`;
    assert.equal(v.ok, t.want.ok, label);
    assert.ok(v.reason.length > 0 && !v.reason.includes('\n'), label);
    if (v.ok) {
      if (t.want.usage !== undefined) assert.equal(v.usage, t.want.usage, label);
      if (t.want.name !== undefined) assert.equal(v.name, t.want.name, label);
    } else {
      assert.equal(v.code, t.want.code, label);
      if (t.want.openssl !== undefined) assert.equal(v.opensslCode, t.want.openssl, label);
    }
    if (t.want.depth !== undefined) assert.equal(v.depth, t.want.depth, label);
  }
});

test('a hostile chain of many decoy certificates is handled quickly', () => {
  const decoyKey = pki.selfSigned('decoy-key', { subject: '/CN=Decoy', ext: caExt() });
  const decoys = Array.from(
    { length: 8 },
    (_, i) => pki.selfSigned(`decoy-${i}`, { subject: '/CN=Int', ext: caExt(), sameKeyAs: decoyKey }).der,
  );
  const chain = [
    c.leaf!.der,
    ...decoys,
    ...decoys,
    c.int!.der,
    c.root!.der,
    ...Array.from({ length: 40 }, () => junk),
  ];
  const started = performance.now();
  const v = verifyDanePeer(chain, secure([R(2, 0, 1, c.root!)]), { referenceNames: MX, now });
  assert.equal(v.ok && v.depth, 2);
  assert.ok(performance.now() - started < 3000);
});

test('wrong arguments throw DaneError (DANE_ERR_BAD_INPUT)', () => {
  const good = { referenceNames: MX, now: 0 };
  const none = secure([]);
  const table = [
    { name: 'chain not an array', fn: () => verifyDanePeer('x' as unknown as Uint8Array[], none, good) },
    { name: 'chain of strings', fn: () => verifyDanePeer(['x'] as unknown as Uint8Array[], none, good) },
    { name: 'records not a SecureTlsa', fn: () => verifyDanePeer([], {} as unknown as SecureTlsa, good) },
    {
      // Plain records (as from an insecure answer) are refused: only a proven-secure RRset authenticates.
      name: 'records as a plain array',
      fn: () =>
        verifyDanePeer(
          [],
          [{ usage: 3, selector: 1, matchingType: 1, data: new Uint8Array(32) }] as unknown as SecureTlsa,
          good,
        ),
    },
    { name: 'now NaN', fn: () => verifyDanePeer([], none, { referenceNames: MX, now: NaN }) },
    {
      name: 'referenceNames missing',
      fn: () => verifyDanePeer([], none, { now: 0 } as unknown as typeof good),
    },
  ];
  for (const t of table) {
    assert.throws(t.fn, (e: unknown) => e instanceof DaneError && e.code === 'DANE_ERR_BAD_INPUT', t.name);
  }
});

test('SecureTlsa is built only from a TLSA RRset proven secure', () => {
  const rec = { usage: 3, selector: 1, matchingType: 1, data: new Uint8Array(32) };
  assert.deepEqual(secure([rec]).records, [rec]);
  for (const proof of ['insecure', 'indeterminate', 'bogus'] as const) {
    assert.throws(
      () => SecureTlsa.fromProven(proven([rec], proof, { reason: 'test' })),
      (e: unknown) => isMtaError(e, 'DNSSEC_ERR_NOT_SECURE') && e.message.includes(proof),
      proof,
    );
  }
});
