/** Table tests for the per-host TLS decision: every TLS mode × DANE state × MX security row. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decideHostPolicy,
  TLS_MODES,
  type HostDane,
  type InsecureMxPolicy,
  type TlsMode,
} from './tls-policy.ts';
import { proven, type Proof } from '../dns/dnssec/index.ts';
import { SecureTlsa, type TlsaRecord } from '../dane/index.ts';
import { decideHostSkip } from './classify.ts';

const secure = (records: TlsaRecord[]): SecureTlsa => SecureTlsa.fromProven(proven(records, 'secure'));
const REC = { usage: 3, selector: 1, matchingType: 1, data: new Uint8Array(32) };
const TLSA: HostDane = { kind: 'tlsa', base: 'mx.example.org', tlsa: secure([REC]), usable: [REC] };
const UNUSABLE: HostDane = {
  kind: 'tlsa',
  base: 'mx.example.org',
  tlsa: secure([{ ...REC, usage: 1 }]),
  usable: [],
};
const NONE: HostDane = { kind: 'none', reason: 'no TLSA records at _25._tcp.mx.example.org.' };
const FAILED: HostDane = { kind: 'failed', reason: 'TLSA lookup failed: SERVFAIL' };

interface Case {
  mode: TlsMode;
  dane: HostDane;
  mx?: Proof;
  insecureMx?: InsecureMxPolicy;
  want: {
    action: 'skip' | 'connect';
    starttls?: string;
    auth?: string;
    fallback?: boolean;
    sni?: string;
    note?: RegExp;
  };
}

const cases: Case[] = [
  {
    mode: 'disabled',
    dane: TLSA,
    want: { action: 'connect', starttls: 'never', auth: 'none', fallback: false },
  },
  {
    mode: 'optional',
    dane: TLSA,
    want: { action: 'connect', starttls: 'if-offered', auth: 'none', fallback: true },
  },
  {
    mode: 'optional_verify',
    dane: NONE,
    want: { action: 'connect', starttls: 'if-offered', auth: 'pkix', fallback: true },
  },
  {
    mode: 'require',
    dane: NONE,
    want: { action: 'connect', starttls: 'required', auth: 'none', fallback: false },
  },
  {
    mode: 'require_verify',
    dane: NONE,
    want: { action: 'connect', starttls: 'required', auth: 'pkix', fallback: false },
  },
  // dane: usable records → mandatory, authenticated, SNI = TLSA base domain
  {
    mode: 'dane',
    dane: TLSA,
    want: { action: 'connect', starttls: 'required', auth: 'dane', fallback: false, sni: 'mx.example.org' },
  },
  // only unusable records → TLS mandatory but unauthenticated (RFC 7672 §2.2)
  {
    mode: 'dane',
    dane: UNUSABLE,
    want: { action: 'connect', starttls: 'required', auth: 'none', fallback: false, note: /no usable TLSA/ },
  },
  // no DANE → optional TLS, with the transcript note
  {
    mode: 'dane',
    dane: NONE,
    want: {
      action: 'connect',
      starttls: 'if-offered',
      auth: 'none',
      fallback: true,
      note: /falling back to optional TLS/,
    },
  },
  // TLSA lookup failure → skip the host, never plaintext
  { mode: 'dane', dane: FAILED, want: { action: 'skip' } },
  { mode: 'dane_require', dane: NONE, want: { action: 'skip' } },
  { mode: 'dane_require', dane: TLSA, want: { action: 'connect', starttls: 'required', auth: 'dane' } },
  {
    mode: 'dane_fallback_require',
    dane: NONE,
    want: { action: 'connect', starttls: 'required', auth: 'none', fallback: false, note: /mandatory TLS/ },
  },
  {
    mode: 'dane_fallback_require_verify',
    dane: NONE,
    want: { action: 'connect', starttls: 'required', auth: 'pkix', note: /verified TLS/ },
  },
  { mode: 'dane_fallback_require_verify', dane: FAILED, want: { action: 'skip' } },
  // insecure MX RRset: policy dane (default) keeps host-level DANE
  {
    mode: 'dane',
    dane: TLSA,
    mx: 'insecure',
    want: { action: 'connect', starttls: 'required', auth: 'dane' },
  },
  // insecure MX, policy encrypt: TLS without authentication
  {
    mode: 'dane',
    dane: TLSA,
    mx: 'insecure',
    insecureMx: 'encrypt',
    want: { action: 'connect', starttls: 'required', auth: 'none', fallback: false },
  },
  // insecure MX, policy may: no DANE at all
  {
    mode: 'dane',
    dane: TLSA,
    mx: 'insecure',
    insecureMx: 'may',
    want: {
      action: 'connect',
      starttls: 'if-offered',
      auth: 'none',
      note: /insecure name example\.org \(falling back to optional TLS\)/,
    },
  },
  {
    mode: 'dane',
    dane: NONE,
    mx: 'insecure',
    want: {
      action: 'connect',
      starttls: 'if-offered',
      note: /^DANE: insecure name example\.org \(falling back to optional TLS\)$/,
    },
  },
];

test('decideHostPolicy covers every TLS mode', () => {
  const seen = new Set(cases.map((c) => c.mode));
  for (const m of TLS_MODES) assert.ok(seen.has(m), `no case for ${m}`);
});

for (const c of cases) {
  test(`${c.mode} / ${c.dane.kind}${c.dane.kind === 'tlsa' && c.dane.usable.length === 0 ? ' (unusable)' : ''} / MX ${c.mx ?? 'secure'} / ${c.insecureMx ?? 'dane'}`, () => {
    const got = decideHostPolicy({
      mode: c.mode,
      domain: 'example.org',
      host: 'mx.example.org',
      mxStatus: c.mx ?? 'secure',
      insecureMx: c.insecureMx ?? 'dane',
      dane: c.dane,
    });
    assert.equal(got.action, c.want.action);
    if (got.action !== 'connect') {
      const v = decideHostSkip(got.skip);
      assert.equal(v.site.kind, 'defer', 'skips are temporary: DANE problems never bounce');
      assert.equal(v.site.enhanced, '4.7.5');
      return;
    }
    if (c.want.starttls !== undefined) assert.equal(got.starttls, c.want.starttls);
    if (c.want.auth !== undefined) assert.equal(got.auth, c.want.auth);
    if (c.want.fallback !== undefined) assert.equal(got.plaintextFallback, c.want.fallback);
    if (c.want.sni !== undefined) assert.equal(got.servername, c.want.sni);
    if (c.want.note !== undefined) assert.match(got.note ?? '', c.want.note);
    if (got.auth === 'dane') {
      assert.equal(got.minTlsVersion, 'TLSv1.2');
      assert.deepEqual(got.tlsa?.records, [REC]);
    }
    // Security invariant: whenever TLSA records exist and DANE applies, plaintext is never allowed.
    if (c.dane.kind === 'tlsa' && c.mode.startsWith('dane') && c.insecureMx !== 'may') {
      assert.equal(got.starttls, 'required');
      assert.equal(got.plaintextFallback, false);
    }
  });
}
