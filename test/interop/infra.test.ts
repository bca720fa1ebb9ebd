/**
 * Smoke tests of the interop infrastructure against the real Debian software: zones signed by
 * BIND and by ldns pass both verifiers; NSD serves a signed root → TLD → child tree that
 * Unbound validates (AD set, RFC 4035 §3.2.3), an insecure delegation without AD, an expired
 * zone as SERVFAIL; Postfix receives swaks's messages with and without STARTTLS and the test
 * reads them back; a broken Postfix config fails with one line; the test certificate's TLSA
 * digest matches openssl's. Test-file id 1: 127.53.1.x and 127.25.1.x (see README.md).
 * Must never reach anything but loopback addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { isMtaError } from '../../src/util/index.ts';
import {
  InteropErrorCode,
  addressPlan,
  assertPortFree,
  daneEeSpkiSha256,
  freePort,
  makeSelfSignedCert,
  queryUnbound,
  requireTools,
  runCommand,
  runSwaks,
  signWithBind,
  signWithLdns,
  startHierarchy,
  startPostfixReceiver,
  startUnbound,
  testScope,
  verifyWithBind,
  verifyWithLdns,
} from './index.ts';

const net = addressPlan(1);

const TLSA = '3 1 1 2d2d1b5cc48ec4b0d3e37cce36e3d78009beb80ec862ba77a819cf871e1cd5c4';

const TINY = `$TTL 3600
@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@ IN NS ns1
ns1 IN A 127.53.1.200
www IN A 192.0.2.1
@ IN MX 10 mx1
mx1 IN A 192.0.2.25
_25._tcp.mx1 IN TLSA ${TLSA}
`;

const SIGN_TOOLS = [
  'dnssec-keygen',
  'dnssec-signzone',
  'dnssec-dsfromkey',
  'ldns-keygen',
  'ldns-signzone',
  'ldns-key2ds',
];
const VERIFY_TOOLS = ['dnssec-verify', 'ldns-verify-zone'];
const DNS_TOOLS = [...SIGN_TOOLS, 'nsd', 'nsd-checkconf', 'unbound', 'unbound-checkconf', 'dig'];
const DAY = 86_400_000;

test('BIND signs with ECDSA P-256 and NSEC; dnssec-verify and ldns-verify-zone accept the zone', async (t) => {
  if (!requireTools(t, [...SIGN_TOOLS, ...VERIFY_TOOLS])) return;
  const scope = await testScope(t, 'infra-bind');
  const zone = await signWithBind({
    zoneName: 'tiny.example.',
    zoneText: TINY,
    algorithm: 13,
    dir: scope.dir,
  });
  const text = await readFile(zone.signedFile, 'utf8');
  assert.match(text, /\sNSEC\s/);
  assert.doesNotMatch(text, /NSEC3/);
  assert.match(text, /RRSIG\s+TLSA 13 5 3600 /);
  assert.equal(zone.dsRecords.length, 1);
  assert.match(
    zone.dsRecords[0] ?? '',
    new RegExp(`^tiny\\.example\\. IN DS ${zone.keyTags.ksk} 13 2 [0-9A-F]{64}$`, 'i'),
  );
  assert.deepEqual(
    zone.dnskeyRecords.map((r) => / DNSKEY (\d+) 3 13 /.exec(r)?.[1]),
    ['257', '256'],
  );
  const bind = await verifyWithBind(zone.signedFile, 'tiny.example.');
  assert.ok(bind.ok, bind.output);
  const ldns = await verifyWithLdns(zone.signedFile);
  assert.ok(ldns.ok, ldns.output);
});

test('ldns signs with RSA/SHA-256 and NSEC3 (0 iterations, no salt, opt-out); both verifiers accept it', async (t) => {
  if (!requireTools(t, [...SIGN_TOOLS, ...VERIFY_TOOLS])) return;
  const scope = await testScope(t, 'infra-ldns');
  const zoneText = `${TINY}insecure IN NS ns1.insecure\nns1.insecure IN A 127.53.1.201\n`;
  const zone = await signWithLdns({
    zoneName: 'tiny.example.',
    zoneText,
    algorithm: 8,
    nsec3: { iterations: 0, salt: '-', optOut: true },
    dir: scope.dir,
  });
  const text = await readFile(zone.signedFile, 'utf8');
  assert.match(text, /NSEC3PARAM\s+1 0 0 -/);
  // RFC 5155 §3.1.2: Flags field 1 = Opt-Out; 0 iterations, empty salt "-".
  assert.match(text, /\sNSEC3\s+1 1 0 -\s/);
  assert.doesNotMatch(text, /\sNSEC\s/);
  assert.match(
    zone.dsRecords[0] ?? '',
    new RegExp(`^tiny\\.example\\. \\d+ IN DS ${zone.keyTags.ksk} 8 2 [0-9a-f]{64}$`, 'i'),
  );
  const bind = await verifyWithBind(zone.signedFile, 'tiny.example.');
  assert.ok(bind.ok, bind.output);
  const ldns = await verifyWithLdns(zone.signedFile);
  assert.ok(ldns.ok, ldns.output);
});

test('NSD serves a signed root, TLD and child on port 53; Unbound with root hints validates it', async (t) => {
  if (!requireTools(t, DNS_TOOLS, { root: 'name servers found through root hints listen on port 53' }))
    return;
  const scope = await testScope(t, 'infra-tree');
  const tree = await startHierarchy({
    dir: scope.dir,
    port: 53,
    zones: [
      { name: '.', address: net.dns(1), signer: 'bind', algorithm: 13 },
      {
        name: 'example.',
        address: net.dns(2),
        signer: 'ldns',
        algorithm: 8,
        nsec3: { iterations: 0, salt: '-' },
      },
      {
        name: 'dane.example.',
        address: net.dns(3),
        signer: 'bind',
        algorithm: 15,
        nsec3: { iterations: 0, salt: '-', optOut: true },
        records: `www IN A 192.0.2.1\nmx1 IN A 192.0.2.25\n_25._tcp.mx1 IN TLSA ${TLSA}\n`,
      },
      { name: 'plain.example.', address: net.dns(4), signer: 'none', records: 'www IN A 192.0.2.4\n' },
    ],
  });
  scope.defer(() => tree.stop());
  assert.equal(tree.servers.length, 4);
  assert.ok(tree.trustAnchorFile !== undefined);
  const unbound = await startUnbound({
    address: net.dns(53),
    port: 53,
    trustAnchorFile: tree.trustAnchorFile,
    rootHintsFile: tree.rootHintsFile,
    dir: scope.dir,
  });
  scope.defer(() => unbound.stop());
  const cases: {
    name: string;
    type: string;
    want: { rcode: string; ad: boolean; data: string | undefined };
  }[] = [
    { name: 'www.dane.example.', type: 'A', want: { rcode: 'NOERROR', ad: true, data: '192.0.2.1' } },
    { name: '_25._tcp.mx1.dane.example.', type: 'TLSA', want: { rcode: 'NOERROR', ad: true, data: TLSA } },
    { name: 'nope.example.', type: 'A', want: { rcode: 'NXDOMAIN', ad: true, data: undefined } },
    // Opt-Out (RFC 5155 §6) cannot rule out an unsigned delegation: the NXDOMAIN is not secure.
    { name: 'nope.dane.example.', type: 'A', want: { rcode: 'NXDOMAIN', ad: false, data: undefined } },
    { name: 'nope.', type: 'A', want: { rcode: 'NXDOMAIN', ad: true, data: undefined } },
    { name: 'www.dane.example.', type: 'TXT', want: { rcode: 'NOERROR', ad: true, data: undefined } },
    { name: 'www.plain.example.', type: 'A', want: { rcode: 'NOERROR', ad: false, data: '192.0.2.4' } },
  ];
  for (const c of cases) {
    const got = await queryUnbound(unbound, c.name, { type: c.type });
    const label = `${c.name} ${c.type}: ${got.raw}\n${unbound.output()}`;
    assert.equal(got.rcode, c.want.rcode, label);
    assert.equal(got.ad, c.want.ad, label);
    // dig splits long rdata into chunks: compare the rdata with its blanks removed.
    const data = got.answer
      .filter((l) => l.split(' ')[3] === c.type)
      .map((l) => l.split(' ').slice(4).join(''));
    const want = c.want.data?.replace(/ /g, '');
    if (want === undefined) assert.deepEqual(data, [], label);
    else
      assert.ok(
        data.some((d) => d.toLowerCase() === want.toLowerCase()),
        label,
      );
  }
});

test('stub zones on unprivileged ports: a valid zone validates, an expired one is SERVFAIL', async (t) => {
  if (!requireTools(t, [...DNS_TOOLS, ...VERIFY_TOOLS])) return;
  const scope = await testScope(t, 'infra-expired');
  const now = Date.now();
  const expired = { inception: new Date(now - 20 * DAY), expiration: new Date(now - 10 * DAY) };
  const port = await freePort(net.dns(11));
  const tree = await startHierarchy({
    dir: scope.dir,
    port,
    zones: [
      { name: '.', address: net.dns(11), signer: 'ldns', algorithm: 13 },
      {
        name: 'example.',
        address: net.dns(12),
        signer: 'bind',
        algorithm: 13,
        nsec3: { iterations: 0, salt: '-' },
      },
      {
        name: 'good.example.',
        address: net.dns(13),
        signer: 'ldns',
        algorithm: 15,
        records: 'www IN A 192.0.2.13\n',
      },
      {
        name: 'expired.example.',
        address: net.dns(14),
        signer: 'bind',
        ...expired,
        records: 'www IN A 192.0.2.14\n',
      },
    ],
  });
  scope.defer(() => tree.stop());
  const expiredFile = tree.zones.get('expired.example.')?.file ?? '';
  const bind = await verifyWithBind(expiredFile, 'expired.example.');
  assert.equal(bind.ok, false, bind.output);
  assert.match(bind.output, /expired/i);
  const ldns = await verifyWithLdns(expiredFile);
  assert.equal(ldns.ok, false, ldns.output);
  assert.match(ldns.output, /expired/i);

  const unbound = await startUnbound({
    address: net.dns(54),
    port: await freePort(net.dns(54)),
    trustAnchorFile: tree.trustAnchorFile ?? '',
    stubZones: tree.stubZones,
    dir: scope.dir,
  });
  scope.defer(() => unbound.stop());
  const good = await queryUnbound(unbound, 'www.good.example.');
  assert.equal(good.rcode, 'NOERROR', good.raw + unbound.output());
  assert.equal(good.ad, true, good.raw);
  const bad = await queryUnbound(unbound, 'www.expired.example.');
  assert.equal(bad.rcode, 'SERVFAIL', bad.raw + unbound.output());
  assert.equal(bad.ad, false);
  assert.deepEqual(bad.answer, []);
  assert.match(`${bad.ede ?? ''} ${unbound.output()}`, /expired/i);
  // With CD set, Unbound hands out the unvalidated answer (RFC 4035 §3.2.2).
  const cd = await queryUnbound(unbound, 'www.expired.example.', { checkingDisabled: true });
  assert.equal(cd.rcode, 'NOERROR', cd.raw);
  assert.ok(
    cd.answer.some((l) => l.endsWith('A 192.0.2.14')),
    cd.raw,
  );
});

test('Postfix receives swaks messages with and without STARTTLS; the test reads them back', async (t) => {
  if (!requireTools(t, ['postfix', 'swaks', 'openssl'], { root: 'Postfix runs a root master' })) return;
  const scope = await testScope(t, 'infra-postfix');
  const mx = await startPostfixReceiver({
    address: net.smtp(1),
    port: 25,
    hostname: 'mx1.dane.example',
    dir: scope.dir,
  });
  scope.defer(() => mx.stop());
  assert.match(mx.banner, /^220 mx1\.dane\.example ESMTP/);

  const sent = await runSwaks({
    server: mx.address,
    port: mx.port,
    from: 'alice@sender.example',
    to: 'bob@dane.example',
    tls: true,
    headers: ['Subject: over tls'],
  });
  assert.equal(sent.exitCode, 0, sent.transcript);
  assert.match(sent.transcript, /STARTTLS/);
  const plain = await runSwaks({
    server: mx.address,
    port: mx.port,
    from: 'alice@sender.example',
    to: 'carol@other.example',
    tls: false,
    headers: ['Subject: in the clear'],
  });
  assert.equal(plain.exitCode, 0, plain.transcript);

  const messages = await mx.waitForMessages(2);
  const bySubject = (s: string) =>
    messages.find((m) => m.headers.some((h) => h.name === 'Subject' && h.value === s));
  const tlsMsg = bySubject('over tls');
  assert.ok(tlsMsg !== undefined, await mx.log());
  assert.equal(tlsMsg.overTls, true, tlsMsg.raw);
  assert.match(tlsMsg.tlsProtocol ?? '', /^TLSv1\.[23]$/);
  assert.equal(tlsMsg.deliveredTo, 'bob@dane.example');
  assert.equal(tlsMsg.returnPath, '<alice@sender.example>');
  const plainMsg = bySubject('in the clear');
  assert.ok(plainMsg !== undefined, await mx.log());
  assert.equal(plainMsg.overTls, false, plainMsg.raw);
  assert.equal(plainMsg.deliveredTo, 'carol@other.example');
});

test('Postfix without STARTTLS: swaks requiring TLS fails and nothing is delivered', async (t) => {
  if (!requireTools(t, ['postfix', 'swaks'], { root: 'Postfix runs a root master' })) return;
  const scope = await testScope(t, 'infra-notls');
  const mx = await startPostfixReceiver({
    address: net.smtp(2),
    port: 25,
    hostname: 'mx2.dane.example',
    offerStartTls: false,
    dir: scope.dir,
  });
  scope.defer(() => mx.stop());
  const res = await runSwaks({
    server: mx.address,
    port: mx.port,
    from: 'a@sender.example',
    to: 'b@dane.example',
    tls: true,
  });
  assert.notEqual(res.exitCode, 0, res.transcript);
  assert.doesNotMatch(res.transcript, /250-STARTTLS/);
  assert.deepEqual(await mx.readMessages(), []);
});

test('Postfix with a broken main.cf: a one-line START_FAILED quoting Postfix, no process left', async (t) => {
  if (!requireTools(t, ['postfix', 'script'], { root: 'Postfix runs a root master' })) return;
  const scope = await testScope(t, 'infra-badcf');
  await assert.rejects(
    startPostfixReceiver({
      address: net.smtp(3),
      port: 25,
      hostname: 'mx3.dane.example',
      offerStartTls: false,
      mainCf: { inet_interfaces: '192.0.2.1' },
      dir: scope.dir,
    }),
    (err: unknown) =>
      isMtaError(err, InteropErrorCode.START_FAILED) &&
      /postfix check failed: .*inet_interfaces/.test(err.message) &&
      !err.message.includes('\n'),
  );
  await assertPortFree(net.smtp(3), 25);
});

test('makeSelfSignedCert and daneEeSpkiSha256 agree with openssl on the SPKI digest', async (t) => {
  if (!requireTools(t, ['openssl'])) return;
  const scope = await testScope(t, 'infra-cert');
  const cert = await makeSelfSignedCert({
    dir: scope.dir,
    commonName: 'mx1.dane.example',
    altNames: ['mx.dane.example'],
  });
  const text = await runCommand('openssl', ['x509', '-in', cert.certFile, '-noout', '-text']);
  assert.match(text.stdout, /DNS:mx1\.dane\.example, DNS:mx\.dane\.example/);
  assert.match(text.stdout, /ASN1 OID: prime256v1/);
  const pubkey = await runCommand('openssl', ['x509', '-in', cert.certFile, '-noout', '-pubkey']);
  const der = await runCommand(
    'openssl',
    ['pkey', '-pubin', '-outform', 'DER', '-out', `${scope.dir}/spki.der`],
    {
      input: pubkey.stdout,
    },
  );
  assert.equal(der.code, 0);
  const digest = await runCommand('openssl', ['dgst', '-sha256', '-r', `${scope.dir}/spki.der`]);
  const hex = digest.stdout.split(' ')[0] ?? '';
  assert.match(hex, /^[0-9a-f]{64}$/);
  assert.equal(await daneEeSpkiSha256(cert.certFile), `3 1 1 ${hex}`);
});
