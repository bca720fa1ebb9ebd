/**
 * Issue #8 item 6: a destination controls its MX and address records, so one delivery's work is
 * bounded — per-host and per-delivery address limits (Postfix's smtp_mx_address_limit spirit)
 * and a deadline after which no new connection starts. The SMTP client is a stub that records
 * each session it is asked to open and fails it (connection refused), so no socket is opened.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliver, type OpenSession, type SmtpSession } from '../../src/delivery/index.ts';
import type { SessionOptions } from '../../src/smtp/client/index.ts';
import { FixedClock } from '../../src/util/index.ts';
import { ScriptedResolver } from '../helpers/scripted-resolver.ts';
import { loopbackOptions, setMx, type Overrides } from './kit.ts';

/** A domain with `hosts` MX hosts of `perHost` A records each (insecure, so no TLSA query). */
function hugeDestination(hosts: number, perHost: number): ScriptedResolver {
  const r = new ScriptedResolver();
  const mx: [number, string][] = [];
  for (let h = 0; h < hosts; h++) {
    const name = `mx${h}.many.example`;
    mx.push([10 + h, name]);
    const records = Array.from(
      { length: perHost },
      (_, i) => `${name}. 300 IN A 10.${h}.${i >> 8}.${i & 255}`,
    );
    r.set(`${name}.`, 'A', { kind: 'answer', status: 'insecure', records });
    r.set(`${name}.`, 'AAAA', { kind: 'nodata', status: 'insecure' });
  }
  setMx(r, 'many.example', mx, 'insecure');
  return r;
}

/** A stub client: every connection is refused; `onCall` sees each. */
function refusingClient(onCall: (o: SessionOptions) => void): OpenSession {
  return (o) => {
    onCall(o);
    const session: SmtpSession = {
      facts: {
        address: o.address,
        port: o.port,
        connected: false,
        usedHelo: false,
        extensions: {},
        starttlsOffered: false,
        tls: { used: false },
        failure: { code: 'SMTP_ERR_CONNECT', message: `connect to ${o.address} refused`, state: 'CONNECT' },
      },
      usable: false,
      send: () => Promise.reject(new Error('the stub session cannot send')),
      close: () => Promise.resolve(),
      destroy: () => undefined,
    };
    return Promise.resolve(session);
  };
}

const MSG = new TextEncoder().encode('Subject: limits\r\n\r\nx\r\n');

async function run(r: ScriptedResolver, extra: Overrides) {
  return deliver({ from: 'a@client.test', to: ['u@many.example'] }, MSG, loopbackOptions(r, 25, extra));
}

test('10 hosts × 300 addresses: at most 4 addresses per host and 12 per delivery are tried', async () => {
  const calls: string[] = [];
  const res = await run(hugeDestination(10, 300), { open: refusingClient((o) => calls.push(o.address)) });
  assert.equal(res.outcome, 'deferred');
  assert.equal(calls.length, 12, 'the per-delivery address limit');
  const perHost = new Map<string, number>();
  for (const a of calls) perHost.set(a.split('.')[1] ?? '', (perHost.get(a.split('.')[1] ?? '') ?? 0) + 1);
  assert.deepEqual([...perHost.values()], [4, 4, 4], 'four addresses of each of the first three hosts');
  assert.match(res.reason, /limit of 12 addresses per delivery reached/);
  assert.ok(res.log.includes('Stopping: limit of 12 addresses per delivery reached'));
});

test('the limits come from the transport profile', async () => {
  const calls: string[] = [];
  await run(hugeDestination(10, 300), {
    open: refusingClient((o) => calls.push(o.address)),
    limits: { maxAddressesPerHost: 1, maxAddresses: 100, maxHosts: 5 },
  });
  assert.deepEqual(
    calls.map((a) => a.split('.')[1]),
    ['0', '1', '2', '3', '4'],
    'one address of each of the five most preferred hosts',
  );
});

test('no connection starts after the delivery deadline', async () => {
  const clock = new FixedClock(1_000_000);
  const calls: string[] = [];
  const open = refusingClient((o) => {
    calls.push(o.address);
    clock.advance(2 * 60_000); // each refused connection "took" two minutes
  });
  const res = await run(hugeDestination(3, 3), { open, clock, limits: { deadlineMs: 5 * 60_000 } });
  assert.equal(calls.length, 3, 'attempts at 0, 2 and 4 minutes; none at 6');
  assert.equal(res.outcome, 'deferred');
  assert.match(res.reason, /delivery deadline of 300 s reached/);
});

test('below the limits every address is tried, in order', async () => {
  const calls: string[] = [];
  await run(hugeDestination(2, 2), { open: refusingClient((o) => calls.push(o.address)) });
  assert.deepEqual(calls, ['10.0.0.0', '10.0.0.1', '10.1.0.0', '10.1.0.1']);
});
