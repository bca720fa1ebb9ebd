/**
 * A hostile MX that floods replies must not exhaust the client's memory (issue 8, item 1). The
 * client runs in a child process with a small V8 heap against a scripted server here that sends
 * hundreds of megabytes of complete 200-line replies: during DATA (the client is blocked writing
 * a body the server no longer reads) and while a session is idle between transactions. Before
 * the byte cap and the DATA rule, the child died with "JavaScript heap out of memory".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ehloLines, startFakeSmtpServer } from '../../../test/helpers/fake-smtp-server.ts';

/** One complete reply of 200 lines of 4,000 octets (the parser's limits allow 200 × 4,096). */
const BIG_REPLY = `${`250-${'x'.repeat(4000)}\r\n`.repeat(199)}250 end\r\n`;
const FLOOD_OCTETS = 400 * 1024 * 1024;
const HEAP_MB = 48;

const CHILD = `
const { openSession, runTransaction } = await import(process.env.CLIENT_MODULE);
const base = {
  address: '127.0.0.1', port: Number(process.env.SERVER_PORT), helo: 'client.test', starttls: 'never',
  timeouts: { greeting: 20000, ehlo: 20000, mail: 20000, rcpt: 20000, rset: 20000, data: 20000, dataBlock: 20000 },
};
const tx = { from: 'a@b.test', recipients: [{ address: 'c@d.test' }] };
const facts = (r) => ({ code: r.failure?.code, state: r.failure?.state, message: r.failure?.message,
  reply: r.failure?.reply?.code, data: r.data?.code });
if (process.env.MODE === 'data') {
  const r = await runTransaction({ ...base, ...tx, message: Buffer.alloc(16 * 1024 * 1024, 'x'.repeat(98) + '\\r\\n') });
  process.send({ result: facts(r) });
} else {
  const session = await openSession(base);
  const first = await session.send(tx);
  process.send({ first: facts(first) });
  await new Promise((resolve) => process.once('message', resolve));
  const second = await session.send(tx);
  process.send({ result: facts(second), usable: session.usable });
  await session.close();
}
process.disconnect();
`;

interface ChildFacts {
  code?: string;
  state?: string;
  message?: string;
  reply?: number;
  data?: number;
}

/** Run the child client against `port`; `onFirst` runs when the idle mode's first transaction is done. */
async function runChild(
  mode: 'data' | 'idle',
  port: number,
  onFirst: (first: ChildFacts) => Promise<void>,
): Promise<{ result?: ChildFacts; usable?: boolean; exit: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${HEAP_MB}`, '--input-type=module', '-e', CHILD],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: {
        ...process.env,
        CLIENT_MODULE: new URL('./index.js', import.meta.url).href,
        SERVER_PORT: String(port),
        MODE: mode,
      },
    },
  );
  child.on('error', () => undefined);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const out: { result?: ChildFacts; usable?: boolean } = {};
  child.on('message', (m: { first?: ChildFacts; result?: ChildFacts; usable?: boolean }) => {
    if (m.first !== undefined) {
      void onFirst(m.first).then(() => {
        if (child.connected) child.send('go', () => undefined);
      });
    } else {
      Object.assign(out, m);
    }
  });
  const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { ...out, exit, stderr };
}

test('a flood of replies during DATA is a protocol violation, not a heap exhaustion', async () => {
  const server = await startFakeSmtpServer({
    script: `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nC: DATA\nS: 354 go\nPAUSE\nFLOOD: ${FLOOD_OCTETS} ${JSON.stringify(BIG_REPLY)}\nSTALL`,
  });
  try {
    const { result, exit, stderr } = await runChild('data', server.port, () => Promise.resolve());
    assert.equal(exit, 0, `the client process died: ${stderr.split('\n').slice(0, 5).join(' | ')}`);
    assert.equal(result?.code, 'SMTP_ERR_PROTOCOL');
    assert.equal(result.state, 'DATA_BODY');
    // The first chunk holds part of a reply (each is 800 KB): no complete reply is reported.
    assert.equal(result.message, 'server sent data before the end of the message body');
    assert.equal(result.data, undefined, 'an early reply is never the reply to the message');
  } finally {
    await server.close();
  }
});

test('a flood of replies to an idle session is capped by octets, and the session is then unusable', async () => {
  let flooded = (): void => undefined;
  const done = new Promise<void>((resolve) => (flooded = resolve));
  const server = await startFakeSmtpServer({
    script: `S: 220 hi\nC: EHLO client.test\n${ehloLines()}\nC: MAIL FROM:<a@b.test>\nS: 250 ok\nC: RCPT TO:<c@d.test>\nS: 250 ok\nFLOOD: ${FLOOD_OCTETS} ${JSON.stringify(BIG_REPLY)}\nMARK: flooded\nSTALL`,
    onMark: flooded,
  });
  try {
    // Go on once the server flooded everything, or the client hung up on it.
    const { result, usable, exit, stderr } = await runChild('idle', server.port, async (first) => {
      assert.equal(first.code, undefined);
      await Promise.race([done, server.done]);
    });
    assert.equal(exit, 0, `the client process died: ${stderr.split('\n').slice(0, 5).join(' | ')}`);
    assert.equal(result?.code, 'SMTP_ERR_PROTOCOL');
    assert.match(
      result.message ?? '',
      /^the session cannot take a transaction: server sent more than \d+ octets/,
    );
    assert.equal(usable, false);
  } finally {
    await server.close();
  }
});
