/** Tests of PEM decoding/encoding (RFC 7468). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../util/index.ts';
import { X509Error } from './errors.ts';
import { decodePem, decodePemCertificates, encodePem } from './pem.ts';

test('encodePem / decodePem round trip and wrapping', () => {
  const der = new Uint8Array(Array.from({ length: 200 }, (_, i) => i));
  const pem = encodePem(der);
  assert.ok(pem.split('\n').every((l) => l.length <= 64));
  assert.equal(toHex(decodePemCertificates(`junk before\n${pem}\njunk after`)[0]!), toHex(der));
  const two = decodePem(`${encodePem(der, 'PUBLIC KEY')}${encodePem(der.subarray(1))}`);
  assert.deepEqual(
    two.map((b) => b.label),
    ['PUBLIC KEY', 'CERTIFICATE'],
  );
  assert.equal(decodePemCertificates(encodePem(der) + encodePem(der)).length, 2);
});

test('bad PEM text yields X509Error (X509_ERR_PEM)', () => {
  const table = [
    { name: 'no block', text: 'hello' },
    { name: 'mismatched END', text: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END PUBLIC KEY-----' },
    { name: 'bad base64', text: '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----' },
    {
      name: 'headers',
      text: '-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END CERTIFICATE-----',
    },
    { name: 'only a key', text: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' },
  ];
  for (const { name, text } of table) {
    assert.throws(
      () => decodePemCertificates(text),
      (e: unknown) => e instanceof X509Error && e.code === 'X509_ERR_PEM',
      name,
    );
  }
});
