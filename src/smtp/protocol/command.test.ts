import { assert, test } from '../../../test/helpers/test-kit.ts';
import { ehloCommand, heloCommand, mailCommand, rcptCommand, assertEsmtpParam } from './command.ts';

interface Case {
  name: string;
  run: () => string;
  want: string | RegExp;
}

const cases: Case[] = [
  { name: 'EHLO', run: () => ehloCommand('client.example'), want: 'EHLO client.example' },
  { name: 'EHLO literal', run: () => ehloCommand('[192.0.2.1]'), want: 'EHLO [192.0.2.1]' },
  { name: 'HELO', run: () => heloCommand('client.example'), want: 'HELO client.example' },
  { name: 'EHLO with CRLF', run: () => ehloCommand('a\r\nMAIL FROM:<x@y>'), want: /CR, LF or NUL/ },
  { name: 'EHLO with space', run: () => ehloCommand('a b'), want: /invalid EHLO/ },
  { name: 'EHLO empty', run: () => ehloCommand(''), want: /invalid EHLO/ },
  { name: 'MAIL null path', run: () => mailCommand(''), want: 'MAIL FROM:<>' },
  {
    name: 'MAIL with params',
    run: () => mailCommand('a@b.example', ['SIZE=100', 'BODY=8BITMIME']),
    want: 'MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME',
  },
  { name: 'MAIL with LF', run: () => mailCommand('a@b.example\nRCPT TO:<c@d>'), want: /CR, LF or NUL/ },
  { name: 'MAIL with NUL', run: () => mailCommand('a\u0000@b.example'), want: /CR, LF or NUL/ },
  { name: 'MAIL bad address', run: () => mailCommand('a>b@c'), want: /invalid address/ },
  { name: 'MAIL param with CR', run: () => mailCommand('a@b', ['ENVID=x\r']), want: /CR, LF or NUL/ },
  { name: 'MAIL param with space', run: () => mailCommand('a@b', ['ENVID=x y']), want: /malformed ESMTP/ },
  { name: 'MAIL param with =', run: () => mailCommand('a@b', ['ENVID=x=y']), want: /malformed ESMTP/ },
  { name: 'RCPT', run: () => rcptCommand('u@[IPv6:2001:db8::1]'), want: 'RCPT TO:<u@[IPv6:2001:db8::1]>' },
  {
    name: 'RCPT with DSN params',
    run: () => rcptCommand('u@d.example', ['NOTIFY=SUCCESS,FAILURE', 'ORCPT=rfc822;u+2Bx@d.example']),
    want: 'RCPT TO:<u@d.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u+2Bx@d.example',
  },
  { name: 'RCPT empty', run: () => rcptCommand(''), want: /empty path/ },
  {
    name: 'RCPT UTF-8',
    run: () => rcptCommand('jörg@bücher.example'),
    want: 'RCPT TO:<jörg@bücher.example>',
  },
];

for (const c of cases) {
  test(`command: ${c.name}`, () => {
    if (typeof c.want === 'string') assert.equal(c.run(), c.want);
    else
      assert.throws(
        c.run,
        (e: unknown) =>
          (e as { code?: string }).code === 'SMTP_ERR_ARGUMENT' &&
          c.want instanceof RegExp &&
          c.want.test((e as Error).message),
      );
  });
}

test('assertEsmtpParam accepts keyword-only and UTF-8 values', () => {
  assert.doesNotThrow(() => {
    assertEsmtpParam('SMTPUTF8');
    assertEsmtpParam('X-FOO=bär');
  });
  assert.throws(() => {
    assertEsmtpParam('-X');
  }, /malformed/);
  assert.throws(() => {
    assertEsmtpParam('X=');
  }, /malformed/);
});
