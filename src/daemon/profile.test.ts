/** RFC 8689 REQUIRETLS: such a message gets authenticated TLS whatever the destination's mode. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DestinationPolicy } from '../config/index.ts';
import { TLS_MODES } from '../policy/index.ts';
import { profileFor, requireTlsMode } from './profile.ts';

const policy = (tls: DestinationPolicy['tls']): DestinationPolicy => ({
  domain: 'example.org',
  match: null,
  tls,
  insecure_mx: 'dane',
  port: 25,
  concurrency: 10,
  messages_per_connection: 100,
  rate: null,
  exception: null,
  expired: null,
});

test('REQUIRETLS: every mode becomes one that demands DANE or PKIX authentication', () => {
  const authenticated = ['dane_require', 'require_verify', 'dane_fallback_require_verify'];
  for (const mode of TLS_MODES) {
    const got = requireTlsMode(mode);
    assert.ok(authenticated.includes(got), `${mode} → ${got}`);
    if (authenticated.includes(mode)) assert.equal(got, mode, 'already authenticated modes are kept');
  }
});

test('REQUIRETLS: no DANE through an insecure MX RRset (RFC 8689 §4.2.1); the profile carries the rest', () => {
  const base = { helo: 'mta.example.net', ca: [], timeoutMs: 5000, source: '192.0.2.1' };
  const plain = profileFor(policy('optional'), base, { requireTls: false });
  assert.deepEqual(
    [
      plain.tlsMode,
      plain.insecureMx,
      plain.port,
      plain.helo,
      plain.localAddress,
      plain.messagesPerConnection,
    ],
    ['optional', 'dane', 25, 'mta.example.net', '192.0.2.1', 100],
  );
  assert.equal(plain.timeouts?.dataDone, 5000);
  const strict = profileFor(policy('optional'), base, { requireTls: true });
  assert.deepEqual([strict.tlsMode, strict.insecureMx], ['dane_fallback_require_verify', 'may']);
});
