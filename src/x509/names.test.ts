/** Tests of reference-identifier matching (RFC 6125 §6.4, RFC 7672 §3.2): table driven. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Certificate } from './cert.ts';
import { matchCertificateName, matchesHostname, normalizeDnsName, presentedDnsIds } from './names.ts';

test('normalizeDnsName', () => {
  const table = [
    { in: 'MX1.Example.ORG.', want: 'mx1.example.org' },
    { in: 'example.com', want: 'example.com' },
    { in: '', want: undefined },
    { in: '.', want: undefined },
    { in: 'a..b', want: undefined },
    { in: 'bücher.example', want: undefined },
    { in: 'has space.example', want: undefined },
    { in: `${'a'.repeat(64)}.example`, want: undefined },
  ];
  for (const t of table) assert.equal(normalizeDnsName(t.in), t.want, t.in);
});

test('matchesHostname: exact names and wildcards', () => {
  const table = [
    { pattern: 'mx1.example.org', host: 'mx1.example.org', want: true },
    { pattern: 'MX1.EXAMPLE.ORG', host: 'mx1.example.org.', want: true },
    { pattern: 'mx1.example.org.', host: 'MX1.example.org', want: true },
    { pattern: 'mx1.example.org', host: 'mx2.example.org', want: false },
    { pattern: 'example.org', host: 'mx1.example.org', want: false },
    { pattern: '*.example.org', host: 'mx1.example.org', want: true },
    { pattern: '*.Example.Org', host: 'MX1.example.org', want: true },
    { pattern: '*.example.org', host: 'a.b.example.org', want: false },
    { pattern: '*.example.org', host: 'example.org', want: false },
    { pattern: '*.example.org', host: '.example.org', want: false },
    { pattern: '*.org', host: 'example.org', want: false },
    { pattern: '*', host: 'example', want: false },
    { pattern: '*.*.example.org', host: 'a.b.example.org', want: false },
    { pattern: 'mx*.example.org', host: 'mx1.example.org', want: false },
    { pattern: '*x1.example.org', host: 'mx1.example.org', want: false },
    { pattern: 'm*1.example.org', host: 'mx1.example.org', want: false },
    { pattern: 'mx1.*.org', host: 'mx1.example.org', want: false },
    { pattern: 'xn--*.example.org', host: 'xn--bcher-kva.example.org', want: false },
    { pattern: '*.example.org', host: '*.example.org', want: false },
    { pattern: 'bücher.example', host: 'bücher.example', want: false },
    { pattern: '', host: '', want: false },
  ];
  for (const t of table)
    assert.equal(matchesHostname(t.pattern, t.host), t.want, `${t.pattern} vs ${t.host}`);
});

const cert = (dnsNames: string[], commonNames: string[]): Certificate =>
  ({ dnsNames, commonNames }) as unknown as Certificate;

test('matchCertificateName: SANs first, CN only without DNS SANs', () => {
  const table = [
    {
      name: 'SAN match',
      cert: cert(['mx1.example.org'], []),
      refs: ['mx1.example.org'],
      want: { ok: true, reference: 'mx1.example.org' },
    },
    {
      name: 'second reference matches',
      cert: cert(['mx.provider.example'], []),
      refs: ['example.com', 'mx.provider.example'],
      want: { ok: true, reference: 'mx.provider.example' },
    },
    {
      name: 'wildcard SAN',
      cert: cert(['*.provider.example'], []),
      refs: ['mx7.provider.example'],
      want: { ok: true, reference: 'mx7.provider.example' },
    },
    {
      name: 'CN ignored when SANs exist',
      cert: cert(['other.example'], ['mx1.example.org']),
      refs: ['mx1.example.org'],
      want: { ok: false },
    },
    {
      name: 'CN used without SANs',
      cert: cert([], ['mx1.example.org']),
      refs: ['MX1.example.org.'],
      want: { ok: true, reference: 'MX1.example.org.' },
    },
    { name: 'no names at all', cert: cert([], []), refs: ['mx1.example.org'], want: { ok: false } },
    { name: 'no reference names', cert: cert(['mx1.example.org'], []), refs: [], want: { ok: false } },
  ];
  for (const t of table) {
    const r = matchCertificateName(t.cert, t.refs);
    assert.equal(r.ok, t.want.ok, t.name);
    if (r.ok) assert.equal(r.reference, t.want.reference, t.name);
    else assert.match(r.reason, /match none of/, t.name);
  }
  assert.equal(presentedDnsIds(cert([], ['a.example'])).from, 'cn');
  assert.equal(presentedDnsIds(cert(['b.example'], ['a.example'])).from, 'san');
});

test('matchCertificateName: peer names are escaped in the reason (one line, printable)', () => {
  const table = [
    { ids: cert([], ['evil.example\nDANE: validated successfully']), want: 'CN evil.example\\x0ADANE: ' },
    { ids: cert(['a\u0000b.example', 'bücher.example'], []), want: 'DNS SANs a\\x00b.example, b\\xFCcher' },
    { ids: cert(['x\u2028y.example'], []), want: 'x\\u{2028}y.example' },
  ];
  for (const t of table) {
    const r = matchCertificateName(t.ids, ['mx.example']);
    const reason = r.ok ? 'matched' : r.reason;
    assert.ok(reason.includes(t.want), reason);
    assert.match(reason, /^[\x20-\x7e]*$/);
  }
});
