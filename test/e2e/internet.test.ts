/**
 * `startInternet` itself: signature windows come from the injected clock (a resolver with
 * another clock sees them as not yet valid — RFC 4035 §5.3.1), fixed DNS and SMTP ports are
 * honoured and TLSA owner names follow the SMTP port, a taken port or a bad base address is a
 * typed one-line error, and close() is idempotent and removes the temporary files.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { RRType } from '../../src/dns/wire/index.ts';
import {
  LabScenarioError,
  scenarioById,
  startInternet,
  type Internet,
  type LabResolverMode,
  type Scenario,
} from '../../src/lab/index.ts';
import type { Resolver } from '../../src/dns/resolver/index.ts';
import { createResolver } from '../../src/mta/index.ts';
import { FixedClock, isMtaError, systemClock, type Clock } from '../../src/util/index.ts';

const EE = [scenarioById('ee-311') as Scenario];

/** A fresh validating resolver pointed at the lab, as every caller of the lab builds one. */
function resolverFor(net: Internet, mode: LabResolverMode, clock: Clock): Resolver {
  return createResolver({ ...net.dnsSettings(mode), timeoutMs: 1000 }, { clock });
}

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, address, () => {
      const a = s.address();
      s.close(() => {
        resolve(typeof a === 'object' && a !== null ? a.port : 0);
      });
    });
  });
}

test('signature windows follow the injected clock', async () => {
  const future = new FixedClock(Date.now() + 60 * 86_400_000);
  const net = await startInternet({ scenarios: EE, clock: future, baseAddress: '127.89.0.0' });
  try {
    const inTime = await resolverFor(net, 'validate', future).lookup('ee-311.test.', RRType.MX);
    assert.deepEqual([inTime.kind, inTime.status], ['answer', 'secure'], inTime.reason ?? '');
    const recursive = await resolverFor(net, 'recursive', future).lookup('ee-311.test.', RRType.MX);
    assert.deepEqual([recursive.kind, recursive.status], ['answer', 'secure'], recursive.reason ?? '');
    const early = await resolverFor(net, 'validate', systemClock).lookup('ee-311.test.', RRType.MX);
    assert.deepEqual([early.kind, early.status], ['failed', 'bogus']);
  } finally {
    await net.close();
  }
});

test('fixed ports are used, TLSA names follow the SMTP port, and a taken port is a typed error', async () => {
  const [dnsPort, smtpPort] = [await freePort('127.89.0.1'), await freePort('127.89.20.1')];
  const net = await startInternet({ scenarios: EE, dnsPort, smtpPort, baseAddress: '127.89.0.0' });
  try {
    assert.deepEqual([net.dnsPort, net.smtpPort], [dnsPort, smtpPort]);
    const tlsa = await resolverFor(net, 'validate', systemClock).lookup(
      `_${smtpPort}._tcp.mx.ee-311.test.`,
      RRType.TLSA,
    );
    assert.deepEqual([tlsa.kind, tlsa.status], ['answer', 'secure']);
    await assert.rejects(
      startInternet({ scenarios: EE, smtpPort, baseAddress: '127.89.0.0' }),
      (e: unknown) => isMtaError(e, 'LAB_ERR_INTERNET') && !e.message.includes('\n'),
    );
  } finally {
    await net.close();
    await net.close();
  }
  assert.equal(existsSync(net.files.dir), false, 'close() removes the temporary directory');
});

test("dnsSettings is plain data naming the lab's servers, root hints and root DS, nothing else", async () => {
  const net = await startInternet({ scenarios: EE, baseAddress: '127.89.0.0' });
  try {
    const validate = net.dnsSettings('validate');
    const recursive = net.dnsSettings('recursive');
    assert.deepEqual(JSON.parse(JSON.stringify(validate)), validate, 'survives JSON: plain data');
    assert.deepEqual(Object.keys(validate).sort(), ['mode', 'resolvers', 'trustAnchors']);
    assert.deepEqual(validate.mode === 'validate' && validate.resolvers, [`127.89.0.53:${net.dnsPort}`]);
    assert.equal(validate.trustAnchors, net.trustAnchorText);
    assert.match(validate.trustAnchors, /^\. \d+ IN DS \d+ 13 2 [0-9A-F]{64}$/im);
    assert.deepEqual(Object.keys(recursive).sort(), ['mode', 'port', 'rootHints', 'trustAnchors']);
    assert.equal(recursive.mode === 'recursive' && recursive.port, net.dnsPort);
    assert.equal(recursive.mode === 'recursive' && recursive.rootHints, net.rootHintsText);
    assert.match(net.rootHintsText, new RegExp(`IN A ${net.rootAddress.replaceAll('.', '\\.')}$`, 'm'));
  } finally {
    await net.close();
  }
});

test('a base address outside 127.0.0.0/8 or a bad port is refused before anything starts', async () => {
  for (const opts of [{ baseAddress: '10.1.0.0' }, { baseAddress: '127.300.0.0' }, { dnsPort: 70000 }]) {
    await assert.rejects(
      startInternet({ scenarios: EE, ...opts }),
      (e: unknown) => e instanceof LabScenarioError && e.code === 'LAB_ERR_INTERNET',
      JSON.stringify(opts),
    );
  }
});
