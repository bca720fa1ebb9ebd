/**
 * Issue #10, real clients and a real receiver: swaks and Postfix's smtp-source submit to a real
 * `dane-mta serve`, which delivers to a Postfix instance (test/interop/postfix.ts) over DANE —
 * its domain's MX, A and TLSA (DANE-EE 3 1 1 of Postfix's own certificate) served by the lab's
 * signed DNS, the destination set to `dane_require` so nothing but an authenticated session may
 * carry the mail. Every message must land in Postfix's Maildir over TLS, and every attempt line
 * of the daemon must say `dane`/`validated`.
 * Interop N = 28: Postfix on 127.25.28.1, the daemon's intake on 127.25.28.2, swaks from
 * 127.25.28.3; the lab on 127.153.0.0/16. Needs root (Postfix) and the Debian tools, else skipped
 * (failed with DANE_MTA_INTEROP=1).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIGNED, startInternet, type Internet, type Scenario } from '../../src/lab/index.ts';
import {
  addressPlan,
  daneEeSpkiSha256,
  freePort,
  makeSelfSignedCert,
  requireTools,
  runCommand,
  runSwaks,
  startPostfixReceiver,
  testScope,
} from '../interop/index.ts';
import { childIntake, daemonWorld, killServes, spawnServe, type LogLine } from './harness.ts';

const plan = addressPlan(28);
const POSTFIX = plan.smtp(1);
const INTAKE = plan.smtp(2);
const CLIENT = plan.smtp(3);
const DOMAIN = 'postfix-dane.example';
const MX = `mx.${DOMAIN}`;

/** smtp-source: messages, parallel sessions and recipients per message. */
const SOURCE_MESSAGES = 20;
const SOURCE_SESSIONS = 2;
const SOURCE_RECIPIENTS = 2;

/**
 * Postfix's domain as a lab scenario. Postfix is outside the lab, so the zone's own records carry
 * the MX, the A record and the TLSA record at Postfix's port; `mx: 'nxdomain'` only keeps the
 * catalogue from adding an MX to a lab receiver (the zone's records make the domain exist).
 */
function postfixScenario(port: number, tlsa: string): Scenario {
  return {
    id: 'postfix-dane',
    title: 'Postfix from the interop infrastructure, authenticated by DANE-EE',
    domain: DOMAIN,
    zones: [
      {
        origin: `${DOMAIN}.`,
        signing: SIGNED.nsec13,
        records: [`@ IN MX 10 ${MX}.`, `mx IN A ${POSTFIX}`, `_${port}._tcp.mx IN TLSA ${tlsa}`],
      },
    ],
    mx: 'nxdomain',
    hosts: [],
    expect: { outcome: 'delivered', tls: 'dane', landsOn: null, log: [] },
  };
}

test('swaks and smtp-source submit to dane-mta serve; Postfix receives every message over DANE', async (t) => {
  if (
    !requireTools(t, ['postfix', 'swaks', 'smtp-source', 'openssl'], { root: 'Postfix runs a root master' })
  )
    return;
  const scope = await testScope(t, 'daemon-interop');
  const cert = await makeSelfSignedCert({ dir: scope.dir, commonName: MX });
  const port = await freePort(POSTFIX);
  const postfix = await startPostfixReceiver({
    address: POSTFIX,
    port,
    hostname: MX,
    certChainPemFile: cert.certFile,
    keyFile: cert.keyFile,
    dir: scope.dir,
  });
  scope.defer(() => postfix.stop());
  const net: Internet = await startInternet({
    baseAddress: '127.153.0.0',
    scenarios: [postfixScenario(port, await daneEeSpkiSha256(cert.certFile))],
  });
  scope.defer(() => net.close());
  const world = await daemonWorld(net, {
    listen: INTAKE,
    retry: '1h',
    delivery: `  destinations:\n    ${DOMAIN}: { tls: dane_require, port: ${port} }`,
  });
  scope.defer(() => world.close());
  const serve = spawnServe(world);
  scope.defer(async () => {
    serve.child.kill('SIGTERM');
    await serve.exited;
    killServes();
  });
  const intake = await childIntake(serve);

  const swaks = await runSwaks({
    server: intake.address,
    port: intake.port,
    from: 'swaks@client.example',
    to: `alice@${DOMAIN}`,
    tls: false,
    localAddress: CLIENT,
    headers: ['Subject: swaks through dane-mta'],
    body: 'Delivered by dane-mta to Postfix over DANE.',
  });
  assert.equal(swaks.exitCode, 0, swaks.transcript);
  assert.match(swaks.transcript, /<-\s+250 2\.0\.0 Ok: queued as [0-9A-Z]{20}/);

  // smtp-source cannot choose its source address: it connects from 127.0.0.1, inside networks.
  const source = await runCommand(
    'smtp-source',
    [
      '-m',
      String(SOURCE_MESSAGES),
      '-s',
      String(SOURCE_SESSIONS),
      '-r',
      String(SOURCE_RECIPIENTS),
      '-l',
      '2000',
      '-S',
      'smtp-source through dane-mta',
      '-f',
      'load@client.example',
      '-t',
      `bob@${DOMAIN}`,
      '-M',
      'source.client.example',
      `${intake.address}:${intake.port}`,
    ],
    { allowFailure: true, timeoutMs: 120_000 },
  );
  assert.equal(source.code, 0, source.stdout + source.stderr);

  const total = 1 + SOURCE_MESSAGES * SOURCE_RECIPIENTS;
  const landed = await postfix.waitForMessages(total, { timeoutMs: 120_000 });
  assert.equal(landed.length, total, 'each recipient once');
  for (const m of landed) {
    assert.ok(m.overTls, m.raw.slice(0, 400));
    assert.match(m.tlsProtocol ?? '', /^TLSv1\.[23]$/);
    assert.match(
      m.raw,
      /\nReceived: from (source\.client\.example|swaks\.interop\.example) \(\[127\.[0-9.]+\]\)\n\tby mta\.daemon\.test \(dane-mta\) with E?SMTP id [0-9A-Z]{20}/,
    );
  }
  const swaksMail = landed.filter((m) => m.returnPath === '<swaks@client.example>');
  assert.equal(swaksMail.length, 1);
  const [fromSwaks] = swaksMail as [(typeof swaksMail)[number]];
  assert.equal(fromSwaks.deliveredTo, `alice@${DOMAIN}`);
  assert.match(fromSwaks.body, /Delivered by dane-mta to Postfix over DANE\./);
  const sourceMail = landed.filter((m) => m.returnPath === '<load@client.example>');
  assert.equal(sourceMail.length, SOURCE_MESSAGES * SOURCE_RECIPIENTS);
  // smtp-source numbers the recipients of a message (bob@, 2bob@, …): each got every message.
  const perRecipient = new Map<string, number>();
  for (const m of sourceMail)
    perRecipient.set(m.deliveredTo ?? '', (perRecipient.get(m.deliveredTo ?? '') ?? 0) + 1);
  assert.equal(perRecipient.size, SOURCE_RECIPIENTS);
  for (const [rcpt, n] of perRecipient) {
    assert.match(rcpt, new RegExp(`^\\d*bob@${DOMAIN.replaceAll('.', '\\.')}$`));
    assert.equal(n, SOURCE_MESSAGES, rcpt);
  }

  // Each attempt line is written once its result is committed, which may be after Postfix
  // delivered: wait for lines covering every recipient (the matcher sees each line once).
  const attempts: LogLine[] = [];
  let covered = 0;
  await serve.logLine((e) => {
    if (e.event !== 'attempt') return false;
    attempts.push(e);
    covered += Array.isArray(e['recipients']) ? e['recipients'].length : 0;
    return covered >= total;
  }, `of attempts covering ${total} recipients`);
  assert.ok(attempts.length >= 1 + SOURCE_MESSAGES);
  for (const a of attempts) {
    assert.equal(a['outcome'], 'delivered', JSON.stringify(a));
    assert.equal(a['tls'], 'dane');
    assert.equal(a['dane'], 'validated');
    assert.equal(a['dnssec'], 'secure');
    assert.equal(a['mx'], MX);
    assert.equal(a['address'], POSTFIX);
    assert.equal((a['reply'] as { code: number }).code, 250);
  }
});
