/**
 * DANE-TA trusts only a trust anchor the server itself presents (RFC 7671 §5.2.2). A server that
 * sends its leaf alone must fail `2 x 1 <root>` even when the client knows that root as a PKIX
 * root (`--ca`): Node's store must not complete the chain for DANE (issue 8 item 9). The same
 * records pass when the server sends the root too. Receivers on 127.106.0.x (helper B's block).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deliver } from '../../src/delivery/index.ts';
import {
  chainPem,
  createCa,
  issueLeaf,
  startReceiver,
  type LabCert,
  type Receiver,
} from '../../src/lab/index.ts';
import { dnsWithHosts, loopbackOptions, setMx, tlsaTa } from './kit.ts';

const DAY = 86_400_000;
const now = Date.now();
let root: LabCert;
let leafOnly: Receiver;
let withRoot: Receiver;

before(async () => {
  root = createCa({ name: 'DANE-TA Test Root', notBefore: now - DAY, notAfter: now + DAY });
  const leaf = issueLeaf({
    issuer: root,
    dnsNames: ['mx.ta.example'],
    notBefore: now - DAY,
    notAfter: now + DAY,
  });
  const tls = (include: 'leaf' | 'full') => ({
    key: leaf.key.privateKey,
    certChainPem: chainPem(leaf, { include }),
  });
  leafOnly = await startReceiver({ address: '127.106.0.1', hostname: 'mx.ta.example', tls: tls('leaf') });
  withRoot = await startReceiver({
    address: '127.106.0.2',
    port: leafOnly.port,
    hostname: 'mx.ta.example',
    tls: tls('full'),
  });
});

after(async () => {
  await Promise.all([leafOnly.close(), withRoot.close()]);
});

async function sendVia(rx: Receiver, selector: 0 | 1) {
  const r = dnsWithHosts([['mx.ta.example', rx.address]]);
  setMx(r, 'ta.example', [[10, 'mx.ta.example']]);
  r.set(`_${rx.port}._tcp.mx.ta.example.`, 'TLSA', {
    kind: 'answer',
    records: [`_${rx.port}._tcp.mx.ta.example. 300 IN TLSA ${tlsaTa(root, selector)}`],
  });
  const before = rx.messages.length;
  const res = await deliver(
    { from: 'sender@client.test', to: ['user@ta.example'] },
    new TextEncoder().encode('Subject: ta\r\n\r\nhello\r\n'),
    loopbackOptions(r, rx.port, { ca: [root.pem] }),
  );
  return { res, landed: rx.messages.length - before };
}

test('DANE-TA: a leaf-only server fails `2 x 1 <root>` even when --ca knows the root', async () => {
  for (const selector of [0, 1] as const) {
    const { res, landed } = await sendVia(leafOnly, selector);
    assert.equal(res.outcome, 'deferred', `selector ${selector}`);
    assert.equal(res.enhanced, '4.7.5', `selector ${selector}`);
    assert.equal(res.attempts[0]?.dane, 'failed', `selector ${selector}`);
    assert.equal(landed, 0, `selector ${selector}`);
  }
});

test('DANE-TA: the same records pass when the server sends the root itself', async () => {
  for (const selector of [0, 1] as const) {
    const { res, landed } = await sendVia(withRoot, selector);
    assert.equal(res.outcome, 'delivered', `selector ${selector}`);
    assert.equal(res.tls, 'dane', `selector ${selector}`);
    assert.equal(landed, 1, `selector ${selector}`);
  }
});
