/**
 * Tests of the OpenSSL verify-error table: lookups by Node code and number, and — when the
 * openssl CLI is installed — the texts `openssl verify` itself prints for real failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { caExt, leafExt, openssl, OpensslPki, requireOpenssl } from '../../test/helpers/openssl-pki.ts';
import { parseCertificate } from './cert.ts';
import { describeX509Error, opensslVerifyError } from './openssl-errors.ts';

test('lookups by Node authorizationError code and by number', () => {
  const table = [
    { code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', want: 'unable to get local issuer certificate (20)' },
    {
      code: 'X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      want: 'unable to get local issuer certificate (20)',
    },
    { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', want: 'self-signed certificate (18)' },
    { code: 'SELF_SIGNED_CERT_IN_CHAIN', want: 'self-signed certificate in certificate chain (19)' },
    { code: 'CERT_HAS_EXPIRED', want: 'certificate has expired (10)' },
    { code: 'CERT_NOT_YET_VALID', want: 'certificate is not yet valid (9)' },
    { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', want: 'unable to verify the first certificate (21)' },
    { code: 'ERR_TLS_CERT_ALTNAME_INVALID', want: 'hostname mismatch (62)' },
    { code: 'HOSTNAME_MISMATCH', want: 'hostname mismatch (62)' },
    { code: 'DANE_NO_MATCH', want: 'no matching DANE TLSA records (65)' },
    { code: 'INVALID_CA', want: 'invalid CA certificate (79)' },
    { code: 'PATH_LENGTH_EXCEEDED', want: 'path length constraint exceeded (25)' },
    { code: 'NOT_A_REAL_CODE', want: 'NOT_A_REAL_CODE' },
    { code: 20, want: 'unable to get local issuer certificate (20)' },
    { code: 999, want: '999' },
  ];
  for (const t of table) assert.equal(describeX509Error(t.code), t.want, String(t.code));
  assert.equal(opensslVerifyError('CERT_HAS_EXPIRED')?.number, 10);
  assert.equal(opensslVerifyError('nope'), undefined);
});

test('texts equal what `openssl verify` prints', (t) => {
  if (!requireOpenssl(t)) return;
  const pki = new OpensslPki();
  t.after(() => {
    pki.cleanup();
  });
  const root = pki.selfSigned('root', { subject: '/CN=Root', ext: caExt() });
  const int = pki.issue('int', root, { subject: '/CN=Int', ext: caExt() });
  const leaf = pki.issue('leaf', int, {
    subject: '/CN=mx.example.org',
    ext: leafExt(['mx.example.org']),
    days: 1,
  });
  const verify = (args: string[]): string => {
    try {
      return openssl(['verify', ...args]).toString();
    } catch (err) {
      return (
        String((err as { stdout?: Buffer }).stdout ?? '') + String((err as { stderr?: Buffer }).stderr ?? '')
      );
    }
  };
  const later = String(Math.floor(parseCertificate(leaf.der).notBefore / 1000) + 30 * 86_400);
  const table = [
    {
      name: 'no root',
      args: ['-no-CAfile', '-no-CApath', '-untrusted', int.certFile, leaf.certFile],
      num: 20,
    },
    { name: 'self-signed leaf', args: ['-no-CAfile', '-no-CApath', root.certFile], num: 18 },
    {
      name: 'untrusted self-signed root in chain',
      args: [
        '-no-CAfile',
        '-no-CApath',
        '-untrusted',
        int.certFile,
        '-untrusted',
        root.certFile,
        leaf.certFile,
      ],
      num: 19,
    },
    {
      name: 'expired leaf',
      args: ['-CAfile', root.certFile, '-untrusted', int.certFile, '-attime', later, leaf.certFile],
      num: 10,
    },
    { name: 'missing intermediate', args: ['-CAfile', root.certFile, leaf.certFile], num: 20 },
  ];
  for (const { name, args, num } of table) {
    const out = verify(args);
    const m = /error (\d+) at \d+ depth lookup: (.+)/.exec(out);
    assert.ok(m, `${name}: ${out}`);
    assert.equal(Number(m[1]), num, name);
    assert.equal(describeX509Error(num), `${m[2]!.trim()} (${num})`, name);
  }
});
