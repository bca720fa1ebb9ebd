/**
 * What a chain means against its TLSA records, in findings (RFC 7672 §3, RFC 7671 §5, §8): a
 * match with its depth, the lone key without a next one, a next key published beside it, the
 * stale record after a renewal with the record that would match now (computed here by
 * node:crypto, not by the code under test), a DANE-TA record for a CA the server does not send,
 * a leaf naming neither host, a DANE-TA certificate expiring within the window or expired, and
 * records no client can use. Certificates from the in-process test PKI; time pinned.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { caExt, leafExt, TestPki, type PkiCert } from '../../test/helpers/test-pki.ts';
import { parseTlsa, SecureTlsa, type TlsaRecord } from '../dane/index.ts';
import { proven } from '../dns/dnssec/index.ts';
import { analyzeDane, summarizeChain, type DaneInput } from './tls-analysis.ts';

const DAY = 86_400_000;
let pki: TestPki | undefined;
const c: Record<string, PkiCert> = {};

before(() => {
  pki = new TestPki();
  c.ca = pki.selfSigned('ca', { subject: '/CN=Check CA', ext: caExt() });
  c.leaf = pki.issue('leaf', c.ca, {
    subject: '/CN=mx.example.org',
    ext: leafExt(['mx.example.org']),
    days: 30,
  });
  c.next = pki.issue('next', c.ca, {
    subject: '/CN=mx.example.org',
    ext: leafExt(['mx.example.org']),
    days: 30,
  });
  c.other = pki.issue('other', c.ca, {
    subject: '/CN=other.example',
    ext: leafExt(['other.example']),
    days: 30,
  });
});

after(() => {
  pki?.cleanup();
});

/** `usage selector mtype` of `cert`, computed with node:crypto (independent of src/dane). */
function rec(usage: number, selector: 0 | 1, cert: PkiCert): TlsaRecord {
  const x = new X509Certificate(cert.pem);
  const bytes = selector === 0 ? x.raw : x.publicKey.export({ type: 'spki', format: 'der' });
  return parseTlsa(`${usage} ${selector} 1 ${createHash('sha256').update(bytes).digest('hex')}`);
}

function input(records: TlsaRecord[], chain: PkiCert[], extra: Partial<DaneInput> = {}): DaneInput {
  return {
    host: 'mx.example.org',
    owner: '_25._tcp.mx.example.org.',
    tlsa: SecureTlsa.fromProven(proven(records, 'secure')),
    chain: chain.map((x) => x.der),
    referenceNames: ['mx.example.org'],
    address: '192.0.2.25',
    nowMs: Date.now(),
    days: 7,
    ...extra,
  };
}

const codes = (r: ReturnType<typeof analyzeDane>): string[] => r.findings.map((f) => f.code);

test('a lone DANE-EE key: validated at depth 0, and a warning that renewal will break mail', () => {
  const r = analyzeDane(input([rec(3, 1, c.leaf!)], [c.leaf!, c.ca!]));
  assert.equal(r.dane.result, 'validated');
  assert.equal(r.dane.depth, 0);
  assert.deepEqual(codes(r), ['dane-ok', 'no-next-key']);
  assert.match(r.findings[1]?.fix ?? '', /--next/);
});

test('the next key published beside the current one: no warning, the spare record is noted', () => {
  const r = analyzeDane(input([rec(3, 1, c.leaf!), rec(3, 1, c.next!)], [c.leaf!]));
  assert.deepEqual(codes(r), ['dane-ok', 'tlsa-unmatched']);
  assert.equal(r.findings[1]?.severity, 'info');
});

test('a stale record: an error naming the record that would match now', () => {
  const r = analyzeDane(input([rec(3, 1, c.leaf!)], [c.next!, c.ca!]));
  assert.equal(r.dane.result, 'failed');
  assert.deepEqual(codes(r), ['tlsa-no-match']);
  const want = rec(3, 1, c.next!);
  const hex = Buffer.from(want.data).toString('hex');
  assert.ok(
    r.findings[0]?.fix?.includes(`_25._tcp.mx.example.org. IN TLSA 3 1 1 ${hex}`),
    r.findings[0]?.fix ?? '',
  );
  assert.equal(r.findings[0]?.severity, 'error');
});

test('a DANE-TA record for a CA the server does not send', () => {
  const r = analyzeDane(input([rec(2, 0, c.ca!)], [c.leaf!]));
  assert.deepEqual(codes(r), ['dane-ta-ca-not-sent']);
  assert.match(r.findings[0]?.message ?? '', /issued by \/CN=Check CA, which it does not send/);
  // The same record works once the server sends the CA.
  const sent = analyzeDane(input([rec(2, 0, c.ca!)], [c.leaf!, c.ca!]));
  assert.equal(sent.dane.result, 'validated');
  assert.equal(sent.dane.depth, 1);
  assert.deepEqual(codes(sent), ['dane-ok']);
});

test('DANE-TA: a leaf naming neither host', () => {
  const r = analyzeDane(input([rec(2, 1, c.ca!)], [c.other!, c.ca!]));
  assert.deepEqual(codes(r), ['dane-ta-name-mismatch']);
  assert.match(r.findings[0]?.message ?? '', /other\.example/);
});

test('DANE-TA: certificates expiring within --days warn; expired ones fail', () => {
  const records = [rec(2, 1, c.ca!)];
  const chain = [c.leaf!, c.ca!];
  assert.deepEqual(codes(analyzeDane(input(records, chain, { days: 7 }))), ['dane-ok']);
  const soon = analyzeDane(input(records, chain, { days: 40 }));
  assert.deepEqual(codes(soon), ['dane-ok', 'cert-expiring']);
  assert.match(soon.findings[1]?.message ?? '', /depth 0 \(\/CN=mx\.example\.org\)/);
  const late = analyzeDane(input(records, chain, { nowMs: Date.now() + 60 * DAY }));
  assert.equal(late.dane.result, 'failed');
  assert.deepEqual(codes(late), ['dane-ta-chain-invalid']);
});

test('DANE-EE ignores expiry (RFC 7672 §3.1.1): no expiry finding', () => {
  const r = analyzeDane(input([rec(3, 1, c.leaf!)], [c.leaf!], { nowMs: Date.now() + 60 * DAY, days: 400 }));
  assert.equal(r.dane.result, 'validated');
  assert.deepEqual(codes(r), ['dane-ok', 'no-next-key']);
});

test('only unusable records: result unusable, no chain findings', () => {
  const r = analyzeDane(input([rec(1, 1, c.leaf!), rec(0, 0, c.ca!)], [c.leaf!]));
  assert.equal(r.dane.result, 'unusable');
  assert.deepEqual(r.findings, []);
});

test('summarizeChain: depth, subject, issuer, expiry and names', () => {
  const s = summarizeChain([c.leaf!.der, c.ca!.der, new Uint8Array([0x30, 0x00])]);
  assert.equal(s.length, 2, 'an unparsable certificate is left out');
  assert.equal(s[0]?.subject, '/CN=mx.example.org');
  assert.equal(s[0].issuer, '/CN=Check CA');
  assert.deepEqual(s[0].names, ['mx.example.org']);
  assert.equal(s[1]?.depth, 1);
  assert.equal(s[0].notAfter, new Date(new X509Certificate(c.leaf!.pem).validTo).toISOString());
});
