/**
 * Issue #11, observability: /metrics scraped and parsed as the Prometheus text format (DESIGN.md's
 * metric names, deliveries by outcome and TLS, DANE results, queue depth by state and the
 * oldest age, the latency histogram, intake counts); /health 200 against the lab's resolver and
 * 503 "…does not return DNSSEC signatures…" when the daemon's resolver is a proxy that strips
 * every RRSIG (the failure that silently stops all DANE mail elsewhere). Lab on 127.160.0.0/16,
 * daemons on 127.161.0.x.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, test } from 'node:test';
import type { Daemon } from '../../src/daemon/index.ts';
import type { AttemptEvent } from '../../src/daemon/index.ts';
import { decodeMessage, encodeMessage, RRType } from '../../src/dns/wire/index.ts';
import { DEMO_SCENARIOS, startInternet, type Internet } from '../../src/lab/index.ts';
import { daemonWorld, intakeOf, nextEvent, queuedId, startInProcess, submit, until } from './harness.ts';

let net: Internet;
const [DANE, , RENEWAL] = DEMO_SCENARIOS;

before(async () => {
  net = await startInternet({ scenarios: DEMO_SCENARIOS, baseAddress: '127.160.0.0' });
});
after(() => net.close());

/** One sample of the text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse the Prometheus text exposition format (version 0.0.4): HELP/TYPE comments and samples. */
function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) {
      types.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m !== null, `a well-formed sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] ?? ''] = l[2] ?? '';
    const value = Number(m[3]);
    assert.ok(!Number.isNaN(value) || m[3] === 'NaN', `a number: ${line}`);
    samples.push({ name: m[1] ?? '', labels, value });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

async function get(daemon: Daemon, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${daemon.http ?? ''}${path}`);
  return { status: res.status, body: await res.text() };
}

const attemptOf =
  (id: string) =>
  (e: { event: string; id?: string }): e is AttemptEvent =>
    e.event === 'attempt' && e.id === id;

test('/metrics: the names of DESIGN.md, parsed from the text format, count what happened', async (t) => {
  const world = await daemonWorld(net, { listen: '127.161.0.1', http: true, retry: '1h' });
  const { daemon } = await startInProcess(world);
  t.after(async () => {
    await daemon.stop('test');
    await world.close();
  });
  const intake = intakeOf(daemon);
  const sent = [];
  for (const s of [DANE, RENEWAL]) {
    assert.ok(s !== undefined);
    const r = await submit(intake, {
      from: 'a@client.test',
      to: [`user@${s.domain}`],
      body: 'Subject: m\r\n\r\nx\r\n',
    });
    const id = queuedId(r);
    sent.push(nextEvent(attemptOf(id), `the attempt of ${s.id}`));
  }
  const [ok, deferred] = await Promise.all(sent);
  assert.equal(ok?.outcome, 'delivered');
  assert.equal(deferred?.outcome, 'deferred');
  let parsed = parseMetrics((await get(daemon, '/metrics')).body);
  // The queue gauges are refreshed from the store every few seconds.
  await until(async () => {
    parsed = parseMetrics((await get(daemon, '/metrics')).body);
    return value(parsed.samples, 'dane_mta_queue_recipients', { state: 'deferred' }) === 1;
  }, 'the deferred recipient in dane_mta_queue_recipients');
  const { samples, types } = parsed;
  assert.equal(types.get('dane_mta_deliveries_total'), 'counter');
  assert.equal(value(samples, 'dane_mta_deliveries_total', { outcome: 'delivered', tls: 'dane' }), 1);
  assert.equal(value(samples, 'dane_mta_deliveries_total', { outcome: 'deferred', tls: 'none' }), 1);
  assert.equal(value(samples, 'dane_mta_dane_results_total', { result: 'validated' }), 1);
  assert.equal(value(samples, 'dane_mta_dane_results_total', { result: 'failed' }), 1);
  assert.equal(types.get('dane_mta_queue_recipients'), 'gauge');
  assert.equal(value(samples, 'dane_mta_queue_recipients', { state: 'delivered' }), 1);
  assert.ok((value(samples, 'dane_mta_queue_oldest_seconds') ?? -1) >= 0);
  assert.equal(types.get('dane_mta_delivery_duration_seconds'), 'histogram');
  assert.equal(value(samples, 'dane_mta_delivery_duration_seconds_count', { outcome: 'delivered' }), 1);
  assert.equal(value(samples, 'dane_mta_intake_messages_total', { result: 'accepted' }), 2);
  assert.equal(types.get('dane_mta_dnssec_answers_total'), 'counter');
  assert.ok(
    (value(samples, 'dane_mta_dnssec_answers_total', { status: 'secure' }) ?? 0) > 0,
    'secure answers counted',
  );
  assert.equal((await get(daemon, '/nothing')).status, 404);
});

test('/health: 200 while the store is writable and the root DNSKEY validates', async (t) => {
  const world = await daemonWorld(net, { listen: '127.161.0.2', http: true });
  const { daemon } = await startInProcess(world);
  t.after(async () => {
    await daemon.stop('test');
    await world.close();
  });
  const r = await get(daemon, '/health');
  assert.equal(r.status, 200, r.body);
  const body = JSON.parse(r.body) as { status: string; checks: { dnssec: { ok: boolean; detail: string } } };
  assert.equal(body.status, 'ok');
  assert.match(body.checks.dnssec.detail, /validates the root DNSKEY/);
});

/** A DNS proxy on UDP that forwards to `upstream` and removes every RRSIG from the replies. */
async function strippingResolver(
  bind: string,
  upstream: { address: string; port: number },
): Promise<{ port: number; close: () => void }> {
  const front: Socket = createSocket('udp4');
  const back: Socket = createSocket('udp4');
  const clients = new Map<number, { address: string; port: number }>();
  front.on('message', (msg, rinfo) => {
    clients.set(msg.readUInt16BE(0), { address: rinfo.address, port: rinfo.port });
    back.send(msg, upstream.port, upstream.address);
  });
  back.on('message', (msg) => {
    const m = decodeMessage(msg);
    const client = clients.get(m.id);
    if (client === undefined) return;
    const strip = <T extends { type: number }>(rrs: T[]): T[] => rrs.filter((rr) => rr.type !== RRType.RRSIG);
    const out = encodeMessage({
      ...m,
      answers: strip(m.answers),
      authorities: strip(m.authorities),
      additionals: strip(m.additionals),
    });
    front.send(out, client.port, client.address);
  });
  await new Promise<void>((resolve) => back.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => front.bind(0, bind, resolve));
  return {
    port: front.address().port,
    close: () => {
      front.close();
      back.close();
    },
  };
}

test('/health: 503 saying the resolver does not return DNSSEC signatures when it strips them', async (t) => {
  const dns = net.dnsSettings('validate');
  assert.ok(dns.mode === 'validate');
  const [host, port] = (dns.resolvers[0] ?? '').split(':');
  const proxy = await strippingResolver('127.161.0.9', { address: host ?? '', port: Number(port) });
  const world = await daemonWorld(net, {
    listen: '127.161.0.3',
    http: true,
    resolver: `127.161.0.9:${proxy.port}`,
  });
  const { daemon } = await startInProcess(world);
  t.after(async () => {
    await daemon.stop('test');
    proxy.close();
    await world.close();
  });
  const r = await get(daemon, '/health');
  assert.equal(r.status, 503, r.body);
  const body = JSON.parse(r.body) as {
    status: string;
    checks: { store: { ok: boolean }; dnssec: { ok: boolean; detail: string } };
  };
  assert.equal(body.status, 'fail');
  assert.equal(body.checks.store.ok, true);
  assert.equal(body.checks.dnssec.ok, false);
  assert.match(body.checks.dnssec.detail, /does not return DNSSEC signatures/);
});
