import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ehloLines, withFakeServer } from '../../../test/helpers/fake-smtp-server.ts';
import { smtpCommandChannel, smtpReplyChannel, type SmtpChannelMessage } from './events.ts';
import { runTransaction } from './transaction.ts';

test('replies and commands are published on diagnostics_channel; a throwing onEvent changes nothing', async () => {
  const published: SmtpChannelMessage[] = [];
  const listener = (m: SmtpChannelMessage): void => {
    published.push(m);
  };
  const unsubscribe = [smtpReplyChannel.subscribe(listener), smtpCommandChannel.subscribe(listener)];
  try {
    const { value: result, server } = await withFakeServer(
      {
        script: `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: RSET\nS: 250 ok\nC: QUIT\nS: 221 bye`,
      },
      (s) =>
        runTransaction({
          address: s.host,
          port: s.port,
          helo: 'client.test',
          starttls: 'never',
          from: 'a@b.test',
          recipients: [{ address: 'c@d.test' }],
          onEvent: () => {
            throw new Error('observer bug');
          },
        }),
    );
    assert.equal(result.failure, undefined);
    const mine = published.filter((m) => m.port === server.port);
    assert.deepEqual(
      mine.map((m) =>
        m.type === 'command'
          ? `C:${m.state}:${m.line}`
          : m.type === 'reply'
            ? `S:${m.state}:${m.reply.code}`
            : '?',
      ),
      [
        'S:GREETING:220',
        'C:EHLO:EHLO client.test',
        'S:EHLO:250',
        'C:MAIL:MAIL FROM:<a@b.test>',
        'S:MAIL:250',
        'C:RCPT:RCPT TO:<c@d.test>',
        'S:RCPT:250',
        'C:RSET:RSET',
        'S:RSET:250',
        'C:QUIT:QUIT',
        'S:QUIT:221',
      ],
    );
    assert.ok(mine.every((m) => m.address === '127.0.0.1'));
  } finally {
    for (const u of unsubscribe) u();
  }
});
