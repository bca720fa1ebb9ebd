/**
 * Tests of signature checks, CA checks, validity and the bounded DANE-TA path search, with
 * certificates made in-process (test/helpers/test-pki.ts) at test time. "now" is derived from the certificates'
 * own notBefore, never from the wall clock.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestPki, caExt, leafExt, type CertOptions, type PkiCert } from '../../test/helpers/test-pki.ts';
import { parseCertificate, type Certificate } from './cert.ts';
import {
  checkCaRole,
  checkSignedBy,
  checkValidity,
  findTrustedPath,
  validatePath,
  verifyIssuedBy,
} from './chain.ts';

const DAY = 86_400_000;
let pki: TestPki;
let root: PkiCert;
let int: PkiCert;
let leaf: PkiCert;
let now: number;
const P = (c: PkiCert): Certificate => parseCertificate(c.der);

before(() => {
  pki = new TestPki();
  root = pki.selfSigned('root', { subject: '/CN=Root', ext: caExt() });
  int = pki.issue('int', root, { subject: '/CN=Int', ext: caExt(0) });
  leaf = pki.issue('leaf', int, { subject: '/CN=mx.example.org', ext: leafExt(['mx.example.org']) });
  now = P(leaf).notBefore + DAY;
});
after(() => {
  pki.cleanup();
});

test('verifyIssuedBy across signature algorithms', () => {
  const rsaRoot = pki.selfSigned('rsa-root', { subject: '/CN=RSA Root', ext: caExt(), keyType: 'rsa' });
  const table: {
    name: string;
    issuer: PkiCert;
    opts: Partial<CertOptions>;
    want: boolean;
    reason?: RegExp;
  }[] = [
    { name: 'ECDSA P-256 SHA-256', issuer: root, opts: {}, want: true },
    {
      name: 'ECDSA P-384 SHA-384',
      issuer: pki.selfSigned('p384', { subject: '/CN=P384', ext: caExt(), keyType: 'ec384' }),
      opts: { signArgs: ['-sha384'] },
      want: true,
    },
    { name: 'RSA PKCS#1 SHA-256', issuer: rsaRoot, opts: { signArgs: ['-sha256'] }, want: true },
    { name: 'RSA PKCS#1 SHA-512', issuer: rsaRoot, opts: { signArgs: ['-sha512'] }, want: true },
    {
      name: 'RSASSA-PSS SHA-256',
      issuer: rsaRoot,
      opts: { signArgs: ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'] },
      want: true,
    },
    {
      name: 'RSASSA-PSS SHA-384 max salt',
      issuer: rsaRoot,
      opts: { signArgs: ['-sha384', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:-2'] },
      want: true,
    },
    {
      name: 'Ed25519',
      issuer: pki.selfSigned('ed', { subject: '/CN=Ed', ext: caExt(), keyType: 'ed25519' }),
      opts: {},
      want: true,
    },
    {
      name: 'RSA SHA-1 is too weak',
      issuer: rsaRoot,
      opts: { signArgs: ['-sha1'] },
      want: false,
      reason: /too weak/,
    },
    {
      name: 'ECDSA SHA-1 is too weak',
      issuer: root,
      opts: { signArgs: ['-sha1'] },
      want: false,
      reason: /too weak/,
    },
  ];
  for (const { name, issuer, opts, want, reason } of table) {
    const child = P(
      pki.issue(`sig-${name}`, issuer, { subject: '/CN=child', ext: leafExt(['child.example']), ...opts }),
    );
    const iss = P(issuer);
    assert.equal(verifyIssuedBy(child, iss), want, name);
    const check = checkSignedBy(child, iss.publicKey!);
    assert.equal(check.ok, want, name);
    if (reason !== undefined && !check.ok) assert.match(check.reason, reason, name);
  }
});

test('verifyIssuedBy rejects a wrong key, a wrong name and a key of another type', () => {
  const impostor = pki.selfSigned('impostor', { subject: '/CN=Int', ext: caExt() }); // same name, other key
  const other = pki.selfSigned('other', { subject: '/CN=Other', ext: caExt(), sameKeyAs: int }); // same key, other name
  const ed = pki.selfSigned('ed-int', { subject: '/CN=Int', ext: caExt(), keyType: 'ed25519' });
  assert.equal(verifyIssuedBy(P(leaf), P(int)), true);
  assert.equal(verifyIssuedBy(P(leaf), P(impostor)), false);
  assert.equal(verifyIssuedBy(P(leaf), P(other)), false);
  assert.equal(verifyIssuedBy(P(leaf), P(ed)), false);
  assert.equal(verifyIssuedBy(P(int), P(leaf)), false);
  assert.match((checkSignedBy(P(leaf), P(ed).publicKey!) as { reason: string }).reason, /ed25519 key/);
});

test('checkCaRole', () => {
  const table: { name: string; ext: string[]; below: number; want: string | undefined }[] = [
    { name: 'CA', ext: caExt(), below: 3, want: undefined },
    { name: 'CA pathlen 0, none below', ext: caExt(0), below: 0, want: undefined },
    { name: 'CA pathlen 0, one below', ext: caExt(0), below: 1, want: 'PATH_LENGTH_EXCEEDED' },
    { name: 'CA pathlen 2, two below', ext: caExt(2), below: 2, want: undefined },
    { name: 'cA false', ext: ['basicConstraints=critical,CA:FALSE'], below: 0, want: 'INVALID_CA' },
    { name: 'no basicConstraints (v3)', ext: ['keyUsage=keyCertSign'], below: 0, want: 'INVALID_CA' },
    {
      name: 'keyUsage without keyCertSign',
      ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=digitalSignature'],
      below: 0,
      want: 'KEYUSAGE_NO_CERTSIGN',
    },
    { name: 'CA without keyUsage', ext: ['basicConstraints=critical,CA:TRUE'], below: 0, want: undefined },
  ];
  for (const { name, ext, below, want } of table) {
    const cert = P(pki.issue(`ca-${name}`, root, { subject: `/CN=${name}`, ext }));
    assert.equal(checkCaRole(cert, { depth: 1, below })?.opensslCode, want, name);
  }
});

test('checkValidity', () => {
  const c = P(leaf);
  const table = [
    { name: 'before notBefore', at: c.notBefore - 1, want: 'CERT_NOT_YET_VALID' },
    { name: 'at notBefore', at: c.notBefore, want: undefined },
    { name: 'inside', at: c.notBefore + 100 * DAY, want: undefined },
    { name: 'at notAfter', at: c.notAfter, want: undefined },
    { name: 'after notAfter', at: c.notAfter + 1000, want: 'CERT_HAS_EXPIRED' },
  ];
  for (const { name, at, want } of table) {
    const p = checkValidity(c, at, 0);
    assert.equal(p?.opensslCode, want, name);
    if (p !== undefined) assert.equal(p.kind, 'validity');
  }
});

const byDer = (anchor: PkiCert) => (c: Certificate) =>
  Buffer.from(c.der).equals(Buffer.from(anchor.der)) ? anchor.name : undefined;

test('findTrustedPath: anchors at each depth, bare keys, missing issuers', () => {
  const L = P(leaf);
  const pool = [P(int), P(root)];
  const table = [
    {
      name: 'anchor root',
      pool,
      isAnchor: byDer(root),
      keys: [],
      want: { ok: true, depth: 2, len: 3, viaKey: false },
    },
    {
      name: 'anchor intermediate',
      pool,
      isAnchor: byDer(int),
      keys: [],
      want: { ok: true, depth: 1, len: 2, viaKey: false },
    },
    {
      name: 'root missing from the pool',
      pool: [P(int)],
      isAnchor: byDer(root),
      keys: [],
      want: { ok: false, code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
    },
    {
      name: 'intermediate missing',
      pool: [P(root)],
      isAnchor: byDer(root),
      keys: [],
      want: { ok: false, code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
    },
    {
      name: 'leaf is never an anchor',
      pool,
      isAnchor: byDer(leaf),
      keys: [],
      want: { ok: false, code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
    },
    {
      name: 'bare root key signs the intermediate',
      pool: [P(int)],
      isAnchor: () => undefined,
      keys: [{ key: P(root).publicKey!, anchor: 'rootkey' }],
      want: { ok: true, depth: 1, len: 2, viaKey: true },
    },
    {
      name: 'bare intermediate key signs the leaf',
      pool: [],
      isAnchor: () => undefined,
      keys: [{ key: P(int).publicKey!, anchor: 'intkey' }],
      want: { ok: true, depth: 0, len: 1, viaKey: true },
    },
    {
      name: 'bare root key, intermediate missing',
      pool: [],
      isAnchor: () => undefined,
      keys: [{ key: P(root).publicKey!, anchor: 'rootkey' }],
      want: { ok: false, code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
    },
  ];
  for (const { name, pool: p, isAnchor, keys, want } of table) {
    const r = findTrustedPath<string>(L, p, { isAnchor, anchorKeys: keys, now });
    assert.equal(r.ok, want.ok, name);
    if (r.ok) {
      assert.equal(r.depth, want.depth, name);
      assert.equal(r.path.length, want.len, name);
      assert.equal(r.viaKey, want.viaKey, name);
    } else {
      assert.equal(r.problem.opensslCode, want.code, name);
      assert.equal(r.anchorReached, false, name);
    }
  }
});

test('findTrustedPath: path problems found once an anchor matched', () => {
  const mk = (name: string, ext: string[], days?: number): PkiCert =>
    pki.issue(name, root, { subject: `/CN=${name}`, ext, ...(days === undefined ? {} : { days }) });
  const leafUnder = (issuer: PkiCert, ext: string[] = leafExt(['mx.example.org'])): Certificate =>
    P(pki.issue(`leaf-${issuer.name}-${ext.length}`, issuer, { subject: '/CN=mx.example.org', ext }));
  const expired = mk('expired-int', caExt(), 1);
  const noCa = mk('noca-int', ['basicConstraints=CA:FALSE']);
  const critical = mk('crit-int', [...caExt(), '1.2.3.4=critical,ASN1:NULL']);
  const clientOnly = mk('client-int', [...caExt(), 'extendedKeyUsage=clientAuth']);
  const pathLenRoot = pki.selfSigned('plroot', { subject: '/CN=PL Root', ext: caExt(0) });
  const plInt = pki.issue('pl-int', pathLenRoot, { subject: '/CN=PL Int', ext: caExt() });
  const plInt2 = pki.issue('pl-int2', plInt, { subject: '/CN=PL Int2', ext: caExt() });
  const later = P(expired).notBefore + 10 * DAY;
  const table = [
    {
      name: 'expired intermediate',
      leaf: leafUnder(expired),
      pool: [P(expired), P(root)],
      at: later,
      want: { kind: 'validity', code: 'CERT_HAS_EXPIRED', depth: 2 },
    },
    {
      name: 'not yet valid',
      leaf: leafUnder(int),
      pool: [P(int), P(root)],
      at: P(root).notBefore - DAY,
      want: { kind: 'validity', code: 'CERT_NOT_YET_VALID', depth: 2 },
    },
    {
      name: 'intermediate without CA flag',
      leaf: leafUnder(noCa),
      pool: [P(noCa), P(root)],
      at: now,
      want: { kind: 'chain', code: 'INVALID_CA', depth: 2 },
    },
    {
      name: 'unhandled critical extension',
      leaf: leafUnder(critical),
      pool: [P(critical), P(root)],
      at: now,
      want: { kind: 'chain', code: 'UNHANDLED_CRITICAL_EXTENSION', depth: 2 },
    },
    {
      name: 'intermediate EKU without serverAuth',
      leaf: leafUnder(clientOnly),
      pool: [P(clientOnly), P(root)],
      at: now,
      want: { kind: 'chain', code: 'INVALID_PURPOSE', depth: 2 },
    },
    {
      name: 'leaf EKU clientAuth only',
      leaf: leafUnder(int, ['basicConstraints=CA:FALSE', 'extendedKeyUsage=clientAuth']),
      pool: [P(int), P(root)],
      at: now,
      want: { kind: 'chain', code: 'INVALID_PURPOSE', depth: 2 },
    },
    {
      name: 'pathLen 0 root, two intermediates',
      leaf: leafUnder(plInt2),
      pool: [P(plInt2), P(plInt), P(pathLenRoot)],
      at: now,
      want: { kind: 'chain', code: 'PATH_LENGTH_EXCEEDED', depth: 3 },
    },
  ];
  for (const t of table) {
    const anchor = t.pool[t.pool.length - 1]!;
    const r = findTrustedPath(t.leaf, t.pool, {
      isAnchor: (c) => (c === anchor ? 'ta' : undefined),
      now: t.at,
    });
    assert.equal(r.ok, false, t.name);
    assert.equal(r.anchorReached, true, t.name);
    assert.equal(r.depth, t.want.depth, t.name);
    assert.equal(r.problem.kind, t.want.kind, t.name);
    assert.equal(r.problem.opensslCode, t.want.code, `${t.name}: ${r.problem.reason}`);
  }
  // The same expired intermediate is fine while it is valid.
  const ok = findTrustedPath(leafUnder(expired), [P(expired), P(root)], {
    isAnchor: (c) => (c.subject.oneline === '/CN=Root' ? 'ta' : undefined),
    now,
  });
  assert.equal(ok.ok, true);
});

test('findTrustedPath: loops, hostile pools and the depth cap terminate', () => {
  // Two CAs that certify each other: A is issued by B and B by A.
  const a = pki.selfSigned('loop-a', { subject: '/CN=Loop A', ext: caExt() });
  const b = pki.selfSigned('loop-b', { subject: '/CN=Loop B', ext: caExt() });
  const aByB = pki.issue('loop-a-by-b', b, { subject: '/CN=Loop A', ext: caExt(), sameKeyAs: a });
  const bByA = pki.issue('loop-b-by-a', a, { subject: '/CN=Loop B', ext: caExt(), sameKeyAs: b });
  const loopLeaf = P(
    pki.issue('loop-leaf', a, { subject: '/CN=mx.example.org', ext: leafExt(['mx.example.org']) }),
  );
  const none = findTrustedPath(loopLeaf, [P(aByB), P(bByA)], { isAnchor: () => undefined, now });
  assert.equal(none.ok, false);
  const viaB = findTrustedPath(loopLeaf, [P(aByB), P(bByA), P(b)], { isAnchor: byDer(b), now });
  assert.equal(viaB.ok && viaB.depth, 2);

  // A long chain: root → i1 → … → i11 → leaf.
  let top = root;
  const ints: PkiCert[] = [];
  for (let i = 1; i <= 11; i++) {
    const key = ints[0] === undefined ? {} : { sameKeyAs: ints[0] };
    top = pki.issue(`deep-${i}`, top, { subject: `/CN=Deep ${i}`, ext: caExt(), ...key });
    ints.push(top);
  }
  const deepLeaf = P(
    pki.issue('deep-leaf', top, { subject: '/CN=mx.example.org', ext: leafExt(['mx.example.org']) }),
  );
  const pool = [...ints.map(P), P(root)];
  const isRoot = byDer(root);
  assert.equal(findTrustedPath(deepLeaf, pool, { isAnchor: isRoot, now }).ok, false, 'default cap of 10');
  const deep = findTrustedPath(deepLeaf, pool, { isAnchor: isRoot, now, maxDepth: 13 });
  assert.equal(deep.ok && deep.depth, 12);

  // Many certificates with the issuer's name but other keys: bounded work, still finds the path.
  const decoyKey = pki.selfSigned('decoy-key', { subject: '/CN=Decoy', ext: caExt() });
  const decoys = Array.from({ length: 10 }, (_, i) =>
    P(pki.selfSigned(`decoy-${i}`, { subject: '/CN=Int', ext: caExt(), sameKeyAs: decoyKey })),
  );
  const started = performance.now();
  const found = findTrustedPath(P(leaf), [...decoys, P(int), P(root)], { isAnchor: byDer(root), now });
  assert.equal(found.ok && found.depth, 2);
  assert.ok(performance.now() - started < 2000);
});

test('findTrustedPath prefers an anchor issuer over a cross-signed copy of it', () => {
  const other = pki.selfSigned('xother', { subject: '/CN=Other Root', ext: caExt() });
  const crossRoot = pki.issue('xroot-cross', other, { subject: '/CN=Root', ext: caExt(), sameKeyAs: root });
  const r = findTrustedPath(P(leaf), [P(int), P(crossRoot), P(other), P(root)], {
    isAnchor: byDer(root),
    now,
  });
  assert.ok(r.ok);
  assert.equal(r.depth, 2);
  assert.equal(r.path[2]!.issuer.oneline, '/CN=Root');
  // Without the anchor itself, the cross-signed copy leads nowhere trusted.
  assert.equal(
    findTrustedPath(P(leaf), [P(int), P(crossRoot), P(other)], { isAnchor: byDer(root), now }).ok,
    false,
  );
});

test('validatePath on a good path and with a forged link', () => {
  assert.equal(validatePath([P(leaf), P(int), P(root)], { now, anchorCert: true }), undefined);
  const forged = pki.selfSigned('forged-int', { subject: '/CN=Int', ext: caExt(0) });
  const p = validatePath([P(leaf), P(forged), P(root)], { now, anchorCert: true });
  assert.ok(p !== undefined);
  assert.equal(p.opensslCode, 'CERT_SIGNATURE_FAILURE');
  assert.equal(p.depth, 0);
});
