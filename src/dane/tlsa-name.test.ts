/** Tests of TLSA owner names (RFC 6698 §3). */
import { assert, test } from '../../test/helpers/test-kit.ts';
import { tlsaOwnerName } from './tlsa-name.ts';
import { DaneError } from './types.ts';

test('tlsaOwnerName', () => {
  const table = [
    { host: 'mx1.example.org', port: undefined, want: '_25._tcp.mx1.example.org.' },
    { host: 'MX1.Example.ORG.', port: undefined, want: '_25._tcp.mx1.example.org.' },
    { host: 'mail.example.net', port: 587, want: '_587._tcp.mail.example.net.' },
    { host: 'xn--bcher-kva.example', port: 25, want: '_25._tcp.xn--bcher-kva.example.' },
    { host: 'localhost', port: 2525, want: '_2525._tcp.localhost.' },
  ];
  for (const t of table)
    assert.equal(t.port === undefined ? tlsaOwnerName(t.host) : tlsaOwnerName(t.host, t.port), t.want);
});

test('tlsaOwnerName rejects bad hosts and ports', () => {
  const table = [
    { host: '', port: 25 },
    { host: '.', port: 25 },
    { host: 'a..example', port: 25 },
    { host: 'bücher.example', port: 25 },
    { host: 'has space.example', port: 25 },
    { host: `${'a'.repeat(64)}.example`, port: 25 },
    { host: 'ok.example', port: 0 },
    { host: 'ok.example', port: 65536 },
    { host: 'ok.example', port: 25.5 },
  ];
  for (const t of table) {
    assert.throws(
      () => tlsaOwnerName(t.host, t.port),
      (e: unknown) => e instanceof DaneError && e.code === 'DANE_ERR_BAD_NAME',
      JSON.stringify(t),
    );
  }
});
