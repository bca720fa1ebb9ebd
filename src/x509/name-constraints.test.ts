/**
 * Name constraints on DANE-TA paths (issue 8 item 10; RFC 5280 §4.2.1.10, §6.1.3 (b), (c)): a
 * CA limited to `other.test`, critical or not, must not validate a leaf for mx.example.org.
 * dNSName subtrees are enforced (permitted and excluded, label boundaries, a leading dot, CN-only
 * leaves, wildcards); other name forms fail closed when the certificates below carry such names.
 * The same table is checked against `openssl verify` (interop rule), with our stricter verdicts
 * marked where OpenSSL differs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestPki, caExt, leafExt, type PkiCert } from '../../test/helpers/test-pki.ts';
import { openssl, requireOpenssl } from '../../test/helpers/openssl-pki.ts';
import { opensslVerifyError } from './openssl-errors.ts';
import { parseCertificate, type Certificate } from './cert.ts';
import { findTrustedPath } from './chain.ts';

const DAY = 86_400_000;
let pki: TestPki;
let root: PkiCert;
let now: number;
const P = (c: PkiCert): Certificate => parseCertificate(c.der);

before(() => {
  pki = new TestPki();
  root = pki.selfSigned('root', { subject: '/CN=NC Root', ext: caExt() });
  now = P(root).notBefore + DAY;
});
after(() => {
  pki.cleanup();
});

let serial = 0;
/** A sub-CA of `root` with these nameConstraints, and a leaf under it with these extensions. */
function pathWith(
  constraints: string,
  leaf: { subject?: string; ext: string[] },
): {
  leaf: Certificate;
  pool: Certificate[];
  files: { sub: PkiCert; leaf: PkiCert };
} {
  const n = serial++;
  const sub = pki.issue(`sub-${n}`, root, {
    subject: `/CN=Constrained Sub ${n}`,
    ext: [...caExt(), `nameConstraints=${constraints}`],
  });
  const l = pki.issue(`leaf-${n}`, sub, { subject: leaf.subject ?? '/CN=leaf', ext: leaf.ext });
  return { leaf: P(l), pool: [P(sub), P(root)], files: { sub, leaf: l } };
}

/** Path search with the root as the DANE-TA anchor; the OpenSSL code of the problem, or 'ok'. */
function verdict(leaf: Certificate, pool: Certificate[]): string {
  const anchor = P(root);
  const r = findTrustedPath(leaf, pool, {
    isAnchor: (c) => (Buffer.from(c.der).equals(Buffer.from(anchor.der)) ? 'root' : undefined),
    now,
  });
  return r.ok ? 'ok' : r.problem.opensslCode;
}

const san = (...names: string[]): string[] => leafExt(names);

test('a sub-CA limited to other.test does not validate mx.example.org (critical or not)', () => {
  for (const critical of ['', 'critical,']) {
    const { leaf, pool } = pathWith(`${critical}permitted;DNS:other.test`, { ext: san('mx.example.org') });
    assert.equal(verdict(leaf, pool), 'PERMITTED_VIOLATION', critical || 'non-critical');
  }
  const { leaf, pool } = pathWith('permitted;DNS:other.test', { ext: san('mx.example.org') });
  const anchor = P(root);
  const r = findTrustedPath(leaf, pool, {
    isAnchor: (c) => (Buffer.from(c.der).equals(Buffer.from(anchor.der)) ? 'root' : undefined),
    now,
  });
  if (r.ok) assert.fail('a path through the constrained sub-CA must not validate');
  assert.equal(r.anchorReached, true);
  assert.equal(r.problem.depth, 0);
  assert.match(r.problem.reason, /mx\.example\.org .*permitted.*other\.test/);
});

/** Each case: the constraints, the leaf, our verdict, and OpenSSL's where it differs (we are stricter). */
const TABLE: {
  name: string;
  nc: string;
  leaf: { subject?: string; ext: string[] };
  want: string;
  openssl?: string;
}[] = [
  { name: 'inside, exact', nc: 'permitted;DNS:other.test', leaf: { ext: san('other.test') }, want: 'ok' },
  {
    name: 'inside, deeper',
    nc: 'permitted;DNS:other.test',
    leaf: { ext: san('mx.a.other.test') },
    want: 'ok',
  },
  {
    name: 'case-insensitive',
    nc: 'permitted;DNS:Other.TEST',
    leaf: { ext: san('MX.other.test') },
    want: 'ok',
  },
  {
    name: 'label boundary',
    nc: 'permitted;DNS:other.test',
    leaf: { ext: san('xother.test') },
    want: 'PERMITTED_VIOLATION',
  },
  {
    name: 'one SAN outside is enough',
    nc: 'permitted;DNS:other.test',
    leaf: { ext: san('mx.other.test', 'mx.example.org') },
    want: 'PERMITTED_VIOLATION',
  },
  {
    name: 'leading dot: subdomains only',
    nc: 'permitted;DNS:.other.test',
    leaf: { ext: san('other.test') },
    want: 'PERMITTED_VIOLATION',
  },
  {
    name: 'leading dot, a subdomain',
    nc: 'permitted;DNS:.other.test',
    leaf: { ext: san('a.other.test') },
    want: 'ok',
  },
  {
    name: 'either of two permitted subtrees',
    nc: 'permitted;DNS:other.test,permitted;DNS:example.org',
    leaf: { ext: san('mx.example.org') },
    want: 'ok',
  },
  {
    name: 'excluded',
    nc: 'excluded;DNS:example.org',
    leaf: { ext: san('mx.example.org') },
    want: 'EXCLUDED_VIOLATION',
  },
  {
    name: 'excluded, elsewhere',
    nc: 'excluded;DNS:example.org',
    leaf: { ext: san('mx.example.net') },
    want: 'ok',
  },
  {
    name: 'excluded wins over permitted',
    nc: 'permitted;DNS:example.org,excluded;DNS:bad.example.org',
    leaf: { ext: san('mx.bad.example.org') },
    want: 'EXCLUDED_VIOLATION',
  },
  {
    name: 'a wildcard that covers an excluded name',
    nc: 'excluded;DNS:mx.example.org',
    leaf: { ext: san('*.example.org') },
    want: 'EXCLUDED_VIOLATION',
    // OpenSSL compares the wildcard as a literal name.
    openssl: 'ok',
  },
  {
    name: 'a wildcard inside a permitted subtree',
    nc: 'permitted;DNS:example.org',
    leaf: { ext: san('*.example.org') },
    want: 'ok',
  },
  {
    name: 'CN-only leaf: its CN is the DNS name checked',
    nc: 'permitted;DNS:other.test',
    leaf: { subject: '/CN=mx.example.org', ext: leafExt([]) },
    want: 'PERMITTED_VIOLATION',
  },
  {
    name: 'IP subtree, no IP names below: not applicable',
    nc: 'permitted;IP:192.0.2.0/255.255.255.0',
    leaf: { ext: san('mx.example.org') },
    want: 'ok',
  },
  {
    name: 'IP subtree with an IP name below: not checked, so refused',
    openssl: 'ok',
    nc: 'permitted;IP:192.0.2.0/255.255.255.0',
    leaf: { ext: [...san('mx.example.org').slice(0, 3), 'subjectAltName=DNS:mx.example.org,IP:192.0.2.1'] },
    want: 'UNSUPPORTED_CONSTRAINT_TYPE',
  },
  {
    name: 'email subtree, no email names below: not applicable',
    nc: 'permitted;email:example.org',
    leaf: { ext: san('mx.example.org') },
    want: 'ok',
  },
  {
    name: 'directoryName subtree: every subject is such a name, so refused',
    openssl: 'PERMITTED_VIOLATION',
    nc: 'permitted;dirName:/O=Example',
    leaf: { ext: san('mx.example.org') },
    want: 'UNSUPPORTED_CONSTRAINT_TYPE',
  },
];

test('dNSName subtrees: table', () => {
  for (const c of TABLE) {
    const { leaf, pool } = pathWith(c.nc, c.leaf);
    assert.equal(verdict(leaf, pool), c.want, c.name);
  }
});

test('constraints of the trust anchor itself apply', () => {
  const anchorCa = pki.selfSigned('nc-anchor', {
    subject: '/CN=Constrained Anchor',
    ext: [...caExt(), 'nameConstraints=critical,permitted;DNS:other.test'],
  });
  const leaf = P(pki.issue('nc-anchor-leaf', anchorCa, { subject: '/CN=leaf', ext: san('mx.example.org') }));
  const anchor = P(anchorCa);
  const r = findTrustedPath(leaf, [anchor], {
    isAnchor: (c) => (Buffer.from(c.der).equals(Buffer.from(anchor.der)) ? 'a' : undefined),
    now,
  });
  assert.equal(r.ok ? 'ok' : r.problem.opensslCode, 'PERMITTED_VIOLATION');
});

test('the table agrees with `openssl verify` (except where marked stricter)', (t) => {
  if (!requireOpenssl(t)) return;
  const rootFile = root.certFile;
  for (const c of TABLE) {
    const { files } = pathWith(c.nc, c.leaf);
    let out: string;
    try {
      out = openssl([
        'verify',
        '-CAfile',
        rootFile,
        '-untrusted',
        files.sub.certFile,
        files.leaf.certFile,
      ]).toString();
    } catch (err) {
      out =
        String((err as { stdout?: Buffer }).stdout ?? '') + String((err as { stderr?: Buffer }).stderr ?? '');
    }
    const expected = c.openssl ?? c.want;
    if (expected === 'ok') {
      assert.match(out, /: OK\s*$/, `${c.name}: ${out}`);
    } else {
      const number = opensslVerifyError(expected)?.number;
      assert.match(out, new RegExp(`error ${String(number)} at 0 depth`), `${c.name}: ${out}`);
    }
  }
});
