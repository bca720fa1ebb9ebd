/** Envelope checks: parameters, ENVID, addresses and their destination keys, MAIL flags. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAddress, checkEnvid, mailFlags, unknownParameter } from './envelope.ts';

test('addresses: destination keys, IDN, literals, refusals', () => {
  const ok: [string, boolean, { address: string; domain: string }][] = [
    ['a@Example.ORG', false, { address: 'a@example.org', domain: 'example.org' }],
    ['a@bücher.example', false, { address: 'a@xn--bcher-kva.example', domain: 'xn--bcher-kva.example' }],
    ['zoë@bücher.example', true, { address: 'zoë@bücher.example', domain: 'xn--bcher-kva.example' }],
    ['a@[192.0.2.1]', false, { address: 'a@[192.0.2.1]', domain: '[192.0.2.1]' }],
    ['a@[IPv6:2001:DB8::1]', false, { address: 'a@[IPv6:2001:db8::1]', domain: '[IPv6:2001:db8::1]' }],
    ['"a b"@example.org', false, { address: '"a b"@example.org', domain: 'example.org' }],
  ];
  for (const [text, smtputf8, want] of ok)
    assert.deepEqual(checkAddress(text, { smtputf8, role: 'recipient' }), want, text);
  const bad: [string, boolean, number, string][] = [
    ['zoë@example.org', false, 553, '5.6.7'],
    ['a@[tag:x]', false, 553, '5.1.3'],
    ['a@exa_mple..org', false, 553, '5.1.3'],
    ['no-at-sign', false, 553, '5.1.3'],
  ];
  for (const [text, smtputf8, code, enhanced] of bad) {
    const r = checkAddress(text, { smtputf8, role: 'recipient' });
    assert.ok('code' in r, text);
    assert.deepEqual([r.code, r.enhanced], [code, enhanced], text);
  }
  const sender = checkAddress('a@@x', { smtputf8: false, role: 'sender' });
  assert.ok('code' in sender && sender.enhanced === '5.1.7');
});

test('parameters and flags', () => {
  assert.equal(
    unknownParameter(
      { SIZE: '1', BODY: '8BITMIME', SMTPUTF8: true, REQUIRETLS: true, RET: 'HDRS', ENVID: 'x', AUTH: '<>' },
      'MAIL',
    ),
    undefined,
  );
  assert.deepEqual(unknownParameter({ NOTIFY: 'NEVER', MT_PRIORITY: '3' }, 'RCPT'), {
    code: 555,
    enhanced: '5.5.4',
    text: 'RCPT parameter MT_PRIORITY is not supported',
  });
  assert.equal(unknownParameter(false, 'MAIL'), undefined);
  assert.equal(checkEnvid(undefined), undefined);
  assert.equal(checkEnvid('abc'), undefined);
  assert.equal(checkEnvid('a b')?.code, 501);
  assert.equal(checkEnvid('x'.repeat(101))?.code, 501);
  assert.deepEqual(
    mailFlags({ BODY: '8bitmime', SMTPUTF8: true, REQUIRETLS: true, RET: 'full', ENVID: 'e' }),
    {
      smtputf8: true,
      eightBitMime: true,
      requireTls: true,
      envid: 'e',
      ret: 'FULL',
    },
  );
  assert.deepEqual(mailFlags(false), { smtputf8: false, eightBitMime: false, requireTls: false });
});
