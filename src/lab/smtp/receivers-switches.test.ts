/**
 * The switches a test flips at runtime: temporary failures (RFC 5321 §4.2.5, 451 4.3.0 by
 * default) answered to every RCPT of the next N transactions or to the final dot of the next N
 * messages, or until turned off; a host that goes down (connections refused, optionally cut)
 * and comes back on the same address and port. Loopback only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { isMtaError } from '../../util/index.ts';
import { TestClient, withReceiver } from '../../../test/lab/smtp-client.ts';
import type { Receiver } from './receivers.ts';

/** One transaction with `rcpts`: the RCPT reply lines and the reply to the final dot (or DATA). */
async function send(c: TestClient, rcpts: string[]): Promise<{ rcpt: string[]; data: string }> {
  assert.equal((await c.cmd('MAIL FROM:<a@client.example>')).code, 250);
  const rcpt: string[] = [];
  for (const to of rcpts) rcpt.push((await c.cmd(`RCPT TO:<${to}>`)).lines.join('|'));
  const data = await c.data('Subject: s\n\nbody\n');
  await c.cmd('RSET');
  return { rcpt, data: data.lines.join('|') };
}

async function session(r: Receiver): Promise<TestClient> {
  const c = await TestClient.open(r);
  await c.reply();
  await c.cmd('EHLO client.example');
  return c;
}

/** How a connection attempt ends: the greeting's code, or the error code. */
function tryConnect(r: Receiver): Promise<string> {
  return new Promise((resolve) => {
    const s = netConnect({ host: r.address, port: r.port });
    s.once('data', (d) => {
      resolve(d.toString('latin1').slice(0, 3));
      s.destroy();
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      resolve(e.code ?? e.message);
    });
  });
}

test('RCPT fails for every recipient of the next N transactions, then the switch is off', async () => {
  const r = await withReceiver({}, async (rec) => {
    rec.failTemporarily('rcpt', { count: 2 });
    const c = await session(rec);
    const tempfail = '451 4.3.0 Requested action aborted: local error in processing';
    assert.deepEqual((await send(c, ['a@x.example', 'b@x.example'])).rcpt, [tempfail, tempfail]);
    assert.deepEqual((await send(c, ['c@x.example'])).rcpt, [tempfail]);
    const third = await send(c, ['d@x.example', 'e@x.example']);
    assert.deepEqual(
      third.rcpt.map((l) => l.slice(0, 3)),
      ['250', '250'],
    );
    assert.match(third.data, /^250 /);
    c.close();
  });
  assert.deepEqual(
    r.messages.map((m) => m.to),
    [['d@x.example', 'e@x.example']],
  );
  assert.deepEqual(r.stats().temporaryFailures, { rcpt: 3, data: 0 });
});

test('the final dot fails until stopFailing, with the chosen reply', async () => {
  // Without ENHANCEDSTATUSCODES the reply text goes out exactly as chosen.
  const r = await withReceiver({ enhancedStatusCodes: false }, async (rec) => {
    rec.failTemporarily('data', { reply: { code: 452, message: '4.3.1 Out of spool space' } });
    const c = await session(rec);
    for (let i = 0; i < 3; i++)
      assert.equal((await send(c, ['a@x.example'])).data, '452 4.3.1 Out of spool space');
    rec.stopFailing('data');
    assert.match((await send(c, ['a@x.example'])).data, /^250 /);
    rec.failTemporarily('data', { count: 1 });
    assert.match((await send(c, ['a@x.example'])).data, /^451 Requested action aborted/);
    assert.match((await send(c, ['a@x.example'])).data, /^250 /, 'count 1: one message only');
    c.close();
  });
  assert.equal(r.messages.length, 2, 'refused messages are not recorded');
  assert.deepEqual(r.stats().temporaryFailures, { rcpt: 0, data: 4 });
});

test('bad switch arguments are refused with a typed error', async () => {
  await withReceiver({}, (r) => {
    const bad = [
      () => {
        r.failTemporarily('rcpt', { count: 0 });
      },
      () => {
        r.failTemporarily('data', { count: 1.5 });
      },
      () => {
        r.failTemporarily('data', { reply: { code: 250, message: 'no' } });
      },
      () => {
        r.failTemporarily('helo' as 'rcpt');
      },
    ];
    for (const f of bad) assert.throws(f, (e: unknown) => isMtaError(e, 'LAB_ERR_RECEIVER_ARGUMENT'));
    return Promise.resolve();
  });
});

test('a host that is down refuses connections, lets sessions finish or cuts them, and comes back', async () => {
  await withReceiver({}, async (r) => {
    const inFlight = await session(r);
    await r.down();
    assert.equal(r.isDown, true);
    assert.equal(await tryConnect(r), 'ECONNREFUSED');
    assert.match((await send(inFlight, ['a@x.example'])).data, /^250 /, 'the open session goes on');
    await r.up();
    assert.equal(r.isDown, false);
    assert.equal(await tryConnect(r), '220');
    await r.waitFor(() => r.stats().connections.open === 1);
    const cut = await session(r);
    await r.down({ dropConnections: true });
    assert.equal((await cut.cmd('NOOP')).code, 0, 'the connection was cut');
    assert.equal(await tryConnect(r), 'ECONNREFUSED');
    await r.up();
    assert.equal(await tryConnect(r), '220');
    inFlight.close();
    await r.waitFor(() => r.stats().connections.open === 0);
    assert.deepEqual(r.stats().connections, { total: 4, open: 0, peak: 2 });
  });
});
