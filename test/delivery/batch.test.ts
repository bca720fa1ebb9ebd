/**
 * Several messages for one destination (the daemon's batches, deliverJobs): the DNS side is done
 * once; one connection carries up to `messagesPerConnection` messages with RSET between them and
 * DANE verified once; each message gets its own result, attempt records and transcript, and is
 * reported through onResult as soon as it is final; a session that breaks sends the rest to the
 * next MX host. Real loopback receivers (127.0.4.0/24).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deliverJobs, type DeliveryResult, type DomainJob } from '../../src/delivery/index.ts';
import { chainPem, createCa, issueLeaf, startReceiver, type Receiver } from '../../src/lab/index.ts';
import { dnsWithHosts, loopbackOptions, setMx, tlsaEe } from './kit.ts';

const DAY = 86_400_000;
const now = Date.now();
const ADDR = { mx1: '127.0.4.1', mx2: '127.0.4.2' };
const rx: Record<string, Receiver> = {};
let port = 0;
let tlsa1 = '';
let tlsa2 = '';

before(async () => {
  const ca = createCa({ name: 'Batch CA', notBefore: now - DAY, notAfter: now + 365 * DAY });
  const leaf = (name: string) =>
    issueLeaf({ issuer: ca, dnsNames: [name], notBefore: now - DAY, notAfter: now + 30 * DAY });
  const c1 = leaf('mx1.batch.example');
  const c2 = leaf('mx2.batch.example');
  tlsa1 = tlsaEe(c1);
  tlsa2 = tlsaEe(c2);
  const tls = (c: typeof c1) => ({ key: c.key.privateKey, certChainPem: chainPem(c, { include: 'full' }) });
  rx.mx1 = await startReceiver({
    address: ADDR.mx1,
    hostname: 'mx1.batch.example',
    tls: tls(c1),
    rejectRecipients: (a) => (a.startsWith('nobody@') ? { code: 550, message: 'No such user' } : undefined),
  });
  port = rx.mx1.port;
  rx.mx2 = await startReceiver({ address: ADDR.mx2, port, hostname: 'mx2.batch.example', tls: tls(c2) });
});

after(async () => {
  await Promise.all(Object.values(rx).map((r) => r.close()));
});

function dns(hosts: [number, string][]) {
  const r = dnsWithHosts([
    ['mx1.batch.example', ADDR.mx1],
    ['mx2.batch.example', ADDR.mx2],
  ]);
  setMx(r, 'batch.example', hosts);
  r.set(`_${port}._tcp.mx1.batch.example.`, 'TLSA', {
    kind: 'answer',
    records: [`_${port}._tcp.mx1.batch.example. 300 IN TLSA ${tlsa1}`],
  });
  r.set(`_${port}._tcp.mx2.batch.example.`, 'TLSA', {
    kind: 'answer',
    records: [`_${port}._tcp.mx2.batch.example. 300 IN TLSA ${tlsa2}`],
  });
  return r;
}

function jobs(n: number, rcpt = (i: number) => [`user${i}@batch.example`]): DomainJob[] {
  return Array.from({ length: n }, (_, i) => ({
    domain: 'batch.example',
    from: 'sender@client.test',
    recipients: rcpt(i),
    message: new TextEncoder().encode(
      `Message-ID: <batch-${i}@client.test>\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n`,
    ),
  }));
}

const sessionsOf = (r: Receiver, since: number): string[] => [
  ...new Set(r.messages.slice(since).map((m) => m.sessionId)),
];

test('three messages, one connection: RSET between, DANE once, one result each as it is final', async () => {
  const r = dns([[10, 'mx1.batch.example']]);
  const before = rx.mx1!.messages.length;
  const order: number[] = [];
  const results = await deliverJobs(jobs(3), {
    ...loopbackOptions(r, port),
    onResult: (i) => order.push(i),
  });
  assert.deepEqual(
    results.map((x) => [x.outcome, x.tls]),
    [
      ['delivered', 'dane'],
      ['delivered', 'dane'],
      ['delivered', 'dane'],
    ],
  );
  assert.deepEqual(order, [0, 1, 2], 'each result as soon as it was final');
  assert.equal(sessionsOf(rx.mx1!, before).length, 1, 'one connection carried all three');
  assert.equal(r.askedFor('MX').length, 1, 'the DNS side was done once');
  for (const x of results) {
    assert.equal(x.log.filter((l) => l === 'DANE: validated successfully').length, 1);
    assert.equal(x.attempts.length, 1);
    assert.equal(x.attempts[0]?.dane, 'validated');
  }
});

test('messages per connection: five messages at two per connection take three connections', async () => {
  const r = dns([[10, 'mx1.batch.example']]);
  const before = rx.mx1!.messages.length;
  const results = await deliverJobs(jobs(5), { ...loopbackOptions(r, port, { messagesPerConnection: 2 }) });
  assert.ok(results.every((x) => x.outcome === 'delivered'));
  assert.equal(sessionsOf(rx.mx1!, before).length, 3);
});

test('one message bounced on a shared connection does not disturb the others', async () => {
  const r = dns([[10, 'mx1.batch.example']]);
  const results = await deliverJobs(
    jobs(3, (i) => (i === 1 ? ['nobody@batch.example'] : [`user${i}@batch.example`])),
    loopbackOptions(r, port),
  );
  // smtp-server answers the dot with 250 2.6.0 and the refused user with 550 5.1.1.
  assert.deepEqual(
    results.map((x: DeliveryResult) => [x.outcome, x.enhanced, x.reply?.code]),
    [
      ['delivered', '2.6.0', 250],
      ['bounced', '5.1.1', 550],
      ['delivered', '2.6.0', 250],
    ],
  );
  assert.ok(results.every((x) => x.attempts.length === 1 && x.mx === 'mx1.batch.example'));
});

test('a host that fails DANE is skipped for every message; all go to the next host', async () => {
  const r = dns([
    [10, 'mx1.batch.example'],
    [20, 'mx2.batch.example'],
  ]);
  // mx1's TLSA record now names mx2's key: DANE fails at mx1, nothing is sent there.
  r.set(`_${port}._tcp.mx1.batch.example.`, 'TLSA', {
    kind: 'answer',
    records: [`_${port}._tcp.mx1.batch.example. 300 IN TLSA ${tlsa2}`],
  });
  const before1 = rx.mx1!.messages.length;
  const before2 = rx.mx2!.messages.length;
  const results = await deliverJobs(jobs(3), loopbackOptions(r, port));
  assert.ok(
    results.every((x) => x.outcome === 'delivered' && x.tls === 'dane' && x.mx === 'mx2.batch.example'),
  );
  assert.equal(rx.mx1!.messages.length, before1, 'nothing reached the host that failed DANE');
  assert.equal(sessionsOf(rx.mx2!, before2).length, 1);
  for (const x of results) {
    assert.deepEqual(
      x.attempts.map((a) => [a.mx, a.dane]),
      [
        ['mx1.batch.example', 'failed'],
        ['mx2.batch.example', 'validated'],
      ],
    );
  }
});
