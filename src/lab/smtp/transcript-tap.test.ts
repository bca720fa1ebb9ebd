/**
 * The transcript tap on its own (no sockets): command lines and replies rebuilt from bytes as
 * smtp-server frames them — pipelined commands, LF-only lines, chunks split anywhere, message
 * content skipped up to CRLF.CRLF (also a message that is only the terminator, and a terminator
 * split across chunks), DATA refused so the bytes after it are commands, STARTTLS accepted so
 * the plaintext after it is dropped (RFC 3207 §4.2) or refused so it is not, QUIT and 421 ending
 * the channel, AUTH credentials masked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TranscriptTap } from './transcript-tap.ts';

interface Seen {
  commands: string[];
  replies: string[][];
  upgraded: boolean;
}

/** A tap and what it reported. */
function tapped(greeting = true): { tap: TranscriptTap; seen: Seen } {
  const seen: Seen = { commands: [], replies: [], upgraded: false };
  const tap = new TranscriptTap(
    {
      onCommand: (line) => seen.commands.push(line),
      onReply: (lines) => seen.replies.push([...lines]),
      onUpgrade: () => {
        seen.upgraded = true;
      },
    },
    { greeting },
  );
  return { tap, seen };
}

const client = (tap: TranscriptTap, text: string): void => {
  tap.fromClient(Buffer.from(text, 'utf8'));
};

test('pipelined commands, LF-only lines and odd chunking give the same command lines', () => {
  const { tap, seen } = tapped();
  tap.fromServer('220 mx ESMTP\r\n');
  for (const part of ['EH', 'LO a.example\r', '\nMAIL FROM:<a@b>\nRCPT TO:<', 'c@d>\r\nNOOP\r\n'])
    client(tap, part);
  tap.fromServer('250-mx\r\n250 PIPELINING\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n');
  tap.fromServer('250 2.0.0 Ok\r\n');
  assert.deepEqual(seen.commands, ['EHLO a.example', 'MAIL FROM:<a@b>', 'RCPT TO:<c@d>', 'NOOP']);
  assert.deepEqual(seen.replies, [
    ['220 mx ESMTP'],
    ['250-mx', '250 PIPELINING'],
    ['250 2.1.0 Ok'],
    ['250 2.1.5 Ok'],
    ['250 2.0.0 Ok'],
  ]);
});

test('message content after 354 is never a command, up to the CRLF.CRLF terminator', () => {
  const cases = [
    { name: 'one chunk', chunks: ['Subject: x\r\n\r\nRSET\r\n..dot\r\n.\r\nQUIT\r\n'] },
    { name: 'terminator split', chunks: ['Subject: x\r\n\r\nRSET\r\n', '\r', '\n', '.', '\r\nQUIT\r\n'] },
    { name: 'only the terminator', chunks: ['.', '\r\nQUIT\r\n'] },
    { name: 'a bare-LF dot line is content', chunks: ['x\n.\nRSET\r\n.\r\nQUIT\r\n'] },
  ];
  for (const c of cases) {
    const { tap, seen } = tapped(false);
    client(tap, 'DATA\r\n');
    tap.fromServer('354 End data with <CR><LF>.<CR><LF>\r\n');
    for (const chunk of c.chunks) client(tap, chunk);
    assert.deepEqual(seen.commands, ['DATA', 'QUIT'], c.name);
  }
});

test('bytes pipelined after DATA wait for its reply: content after 354, commands after a refusal', () => {
  const accepted = tapped(false);
  client(accepted.tap, 'DATA\r\nRSET\r\n.\r\nNOOP\r\n');
  assert.deepEqual(accepted.seen.commands, ['DATA']);
  accepted.tap.fromServer('354 go ahead\r\n');
  assert.deepEqual(accepted.seen.commands, ['DATA', 'NOOP']);

  const refused = tapped(false);
  client(refused.tap, 'DATA\r\nRSET\r\n');
  refused.tap.fromServer('503 5.5.1 Error: need RCPT command\r\n');
  assert.deepEqual(refused.seen.commands, ['DATA', 'RSET']);
});

test('STARTTLS accepted ends the plaintext channel and drops what followed it', () => {
  const { tap, seen } = tapped(false);
  client(tap, 'STARTTLS\r\nMAIL FROM:<injected@evil>\r\n');
  tap.fromServer('220 2.0.0 Ready to start TLS\r\n');
  client(tap, 'RCPT TO:<also@evil>\r\n');
  assert.deepEqual(seen.commands, ['STARTTLS']);
  assert.equal(seen.upgraded, true);
  assert.equal(tap.done, true);

  const refused = tapped(false);
  client(refused.tap, 'STARTTLS\r\nNOOP\r\n');
  refused.tap.fromServer('502 5.5.1 Error: command not implemented\r\n');
  assert.deepEqual(refused.seen.commands, ['STARTTLS', 'NOOP']);
  assert.equal(refused.seen.upgraded, false);
});

test('QUIT and a 421 end the channel; AUTH arguments are masked; long lines are cut', () => {
  const quit = tapped(false);
  client(quit.tap, 'QUIT\r\nNOOP\r\n');
  quit.tap.fromServer('221 Bye\r\n');
  assert.deepEqual(quit.seen.commands, ['QUIT']);
  assert.deepEqual(quit.seen.replies, [['221 Bye']]);

  const dropped = tapped(false);
  client(dropped.tap, 'NOOP\r\n');
  dropped.tap.fromServer('421 4.4.2 Timeout - closing connection\r\n');
  client(dropped.tap, 'NOOP\r\n');
  assert.deepEqual(dropped.seen.commands, ['NOOP']);

  const auth = tapped(false);
  client(auth.tap, 'AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nauth login\r\n');
  client(auth.tap, `NOOP ${'x'.repeat(10_000)}\r\n`);
  assert.deepEqual(auth.seen.commands.slice(0, 2), ['AUTH PLAIN ***', 'auth login']);
  assert.equal(auth.seen.commands[2]?.length, 4096);
});
