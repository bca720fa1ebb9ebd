/** Table tests for attempt classification (cf. Postfix smtp_trouble.c). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyAttempt, type AttemptFacts } from './classify.ts';
import type { Verdict } from './disposition.ts';
import type { Reply } from '../smtp/protocol/index.ts';

const r = (code: number, enhanced?: string, text = 'x'): Reply => ({
  code,
  lines: [text],
  text,
  ...(enhanced === undefined ? {} : { enhanced }),
});
const ok = r(250, '2.0.0');

interface Case {
  name: string;
  facts: AttemptFacts;
  verify?: boolean;
  fallback?: boolean;
  want: { next: boolean; plaintext?: boolean; site?: string; rcpt?: Record<string, [string, string]> };
}

const base = { connected: true, recipients: [{ address: 'a@x', reply: ok }] };
const cases: Case[] = [
  {
    name: 'connect failure tries the next host',
    facts: {
      connected: false,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_CONNECT', message: 'refused', state: 'CONNECT' },
    },
    want: { next: true, site: '4.4.1' },
  },
  {
    name: 'timeout tries the next host',
    facts: {
      connected: true,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_TIMEOUT', message: 't', state: 'GREETING' },
    },
    want: { next: true, site: '4.4.2' },
  },
  {
    name: 'DANE peer rejection is a 4.7.5 site failure, never a bounce',
    facts: {
      connected: true,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_PEER_REJECTED', message: 'no match', state: 'TLS_HANDSHAKE' },
    },
    want: { next: true, site: '4.7.5' },
  },
  {
    name: 'missing STARTTLS when required is a 4.7.5 site failure',
    facts: {
      connected: true,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_STARTTLS_NOT_OFFERED', message: 'm', state: 'EHLO' },
    },
    want: { next: true, site: '4.7.5' },
  },
  {
    name: 'handshake failure under optional TLS retries in plaintext',
    facts: {
      connected: true,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_TLS_HANDSHAKE', message: 'h', state: 'TLS_HANDSHAKE' },
    },
    fallback: true,
    want: { next: false, plaintext: true },
  },
  {
    name: 'handshake failure under mandatory TLS does not retry in plaintext',
    facts: {
      connected: true,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_TLS_HANDSHAKE', message: 'h', state: 'TLS_HANDSHAKE' },
    },
    want: { next: true, plaintext: false, site: '4.7.5' },
  },
  {
    name: '454 to STARTTLS under optional TLS retries in plaintext',
    facts: {
      connected: true,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_STARTTLS_REFUSED', message: 's', state: 'STARTTLS', reply: r(454, '4.7.0') },
    },
    fallback: true,
    want: { next: false, plaintext: true },
  },
  {
    name: '454 to STARTTLS under mandatory TLS is a 4.7.5 site failure, no plaintext',
    facts: {
      connected: true,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_STARTTLS_REFUSED', message: 's', state: 'STARTTLS', reply: r(454, '4.7.0') },
    },
    want: { next: true, plaintext: false, site: '4.7.5' },
  },
  {
    name: 'plaintext injected after the 220 to STARTTLS is a 4.7.5 TLS failure, never retried',
    facts: {
      connected: true,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_PROTOCOL', message: 'unexpected data', state: 'TLS_HANDSHAKE' },
    },
    fallback: true,
    want: { next: true, plaintext: false, site: '4.7.5' },
  },
  {
    name: '5xx greeting is a temporary site failure',
    facts: {
      connected: true,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_REPLY', message: 'g', state: 'GREETING', reply: r(554, '5.7.1') },
    },
    want: { next: true, site: '4.7.1' },
  },
  {
    name: 'MAIL 4xx tries the next host',
    facts: { ...base, mail: r(451, '4.3.0') },
    want: { next: true, site: '4.3.0' },
  },
  {
    name: 'MAIL 5xx bounces',
    facts: { ...base, mail: r(550, '5.7.1') },
    want: { next: false, rcpt: { 'a@x': ['bounce', '5.7.1'] } },
  },
  {
    name: 'per-recipient RCPT replies and DATA for the accepted one',
    facts: {
      connected: true,
      mail: ok,
      recipients: [
        { address: 'a@x', reply: ok },
        { address: 'b@x', reply: r(550, '5.1.1') },
        { address: 'c@x', reply: r(450, '4.2.1') },
      ],
      dataStart: r(354),
      data: r(250, '2.0.0'),
    },
    want: {
      next: false,
      rcpt: { 'a@x': ['delivered', '2.0.0'], 'b@x': ['bounce', '5.1.1'], 'c@x': ['defer', '4.2.1'] },
    },
  },
  {
    name: 'DATA 5xx bounces',
    facts: { ...base, mail: ok, dataStart: r(354), data: r(554, '5.6.0') },
    want: { next: false, rcpt: { 'a@x': ['bounce', '5.6.0'] } },
  },
  {
    name: 'DATA 4xx defers',
    facts: { ...base, mail: ok, dataStart: r(354), data: r(451) },
    want: { next: false, rcpt: { 'a@x': ['defer', '4.0.0'] } },
  },
  {
    name: 'connection lost after DATA defers (the message may have arrived)',
    facts: {
      ...base,
      mail: ok,
      dataStart: r(354),
      failure: { code: 'SMTP_ERR_PROTOCOL', message: 'closed', state: 'DATA_BODY' },
    },
    want: { next: false, rcpt: { 'a@x': ['defer', '4.5.0'] } },
  },
  {
    name: 'SMTPUTF8 needed but not offered bounces 5.6.7',
    facts: {
      connected: true,
      recipients: [{ address: 'a@x' }],
      failure: { code: 'SMTP_ERR_SMTPUTF8_REQUIRED', message: 'u', state: 'MAIL' },
    },
    want: { next: false, rcpt: { 'a@x': ['bounce', '5.6.7'] } },
  },
  {
    name: 'verification: 250 to RCPT is accepted',
    facts: { ...base, mail: ok },
    verify: true,
    want: { next: false, rcpt: { 'a@x': ['accepted', '2.0.0'] } },
  },
  {
    name: 'verification: 550 to RCPT is a rejection',
    facts: { connected: true, mail: ok, recipients: [{ address: 'a@x', reply: r(550, '5.1.1') }] },
    verify: true,
    want: { next: false, rcpt: { 'a@x': ['bounce', '5.1.1'] } },
  },
];

/** The verdict kind a case's `want` describes. */
function wantedKind(w: Case['want']): Verdict['kind'] {
  if (w.next) return 'next-host';
  return w.plaintext === true ? 'retry-plaintext' : 'final';
}

for (const c of cases) {
  test(c.name, () => {
    const v = classifyAttempt(c.facts, { verify: c.verify ?? false, plaintextFallback: c.fallback ?? false });
    assert.equal(v.kind, wantedKind(c.want));
    if (c.want.site !== undefined) {
      assert.notEqual(v.kind, 'final');
      if (v.kind !== 'final') {
        assert.equal(v.site.enhanced, c.want.site);
        assert.equal(v.site.kind, 'defer', 'a site failure never bounces');
      }
    }
    for (const [addr, [kind, enhanced]] of Object.entries(c.want.rcpt ?? {})) {
      assert.equal(v.kind, 'final');
      assert.equal(v.recipients.get(addr)?.kind, kind, addr);
      assert.equal(v.recipients.get(addr)?.enhanced, enhanced, addr);
    }
  });
}
