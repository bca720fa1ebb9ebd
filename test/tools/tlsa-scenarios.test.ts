/**
 * `dane-mta tlsa` on the certificates of the simulated Internet: for every TLSA record a scenario
 * publishes that is right (not corrupted, not the retired key of a botched renewal, a DANE usage),
 * the command run on the host's certificate file — or on its private key for selector 1, or with
 * --chain for DANE-TA — prints exactly a record the zone publishes; for every record that is
 * wrong, what it prints for the server's current certificate differs from what the zone has.
 * Runs the CLI in-process; loopback only, lab base address 127.113.0.0.
 */
import assert from 'node:assert/strict';
import { KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { main } from '../../src/cli/main.ts';
import { Name, RRType, formatRr } from '../../src/dns/wire/index.ts';
import type { HostSpec, Internet, TlsaSpec } from '../../src/lab/index.ts';
import { captureIo } from '../e2e/cli-io.ts';
import { query } from '../../src/dns/transport/index.ts';
import { ALL_SCENARIOS, startCheckerInternet } from './scenarios.ts';

let net: Internet;
let dir: string;

before(async () => {
  net = await startCheckerInternet('127.113.0.0');
  dir = await mkdtemp(join(tmpdir(), 'dane-mta-tlsa-'));
});

after(async () => {
  await net.close();
  await rm(dir, { recursive: true, force: true });
});

async function tlsaRun(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const cap = captureIo();
  const code = await main(['tlsa', ...args], cap.io);
  return { code, out: cap.stdout(), err: cap.stderr() };
}

async function tlsaCli(args: string[]): Promise<string> {
  const r = await tlsaRun(args);
  assert.equal(r.code, 0, r.err);
  return r.out;
}

/**
 * The TLSA records the zone publishes at `owner`, as `u s m hex`: asked straight from the lab's
 * authoritative server (no validation, so a bogus RRset shows its data too).
 */
async function published(owner: string): Promise<string[]> {
  const res = await query(
    { name: Name.parse(owner), type: RRType.TLSA, class: 1 },
    { servers: [{ address: net.allZonesAddress, port: net.dnsPort }], timeoutMs: 2000 },
  );
  assert.ok(res.ok, `${owner}: ${res.ok ? '' : res.error.message}`);
  return res.message.answers
    .filter((rr) => rr.type === RRType.TLSA)
    .map((rr) => (formatRr(rr).split(/\s+TLSA\s+/)[1] ?? '').replace(/\s+/g, ' ').toLowerCase());
}

function recordOf(line: string): string {
  const m = /IN TLSA (\d \d \d [0-9a-f]+)$/.exec(line.trim());
  assert.ok(m !== null, `not a TLSA line: ${line}`);
  return m[1] ?? '';
}

interface Case {
  host: HostSpec;
  spec: TlsaSpec;
  chainFile: string;
  keyFile: string;
  owner: string;
}

async function cases(): Promise<Case[]> {
  const out: Case[] = [];
  for (const s of ALL_SCENARIOS) {
    for (const host of s.hosts) {
      const planned = net.hosts.find((h) => h.name === host.name);
      if (planned?.tls === undefined || host.tlsa === undefined) continue;
      const base = join(dir, host.name);
      await writeFile(`${base}.chain.pem`, planned.tls.certChainPem);
      const key = planned.tls.key;
      const keyPem = key instanceof KeyObject ? key.export({ type: 'pkcs8', format: 'pem' }).toString() : key;
      await writeFile(`${base}.key.pem`, keyPem);
      const owner = `_${host.tlsaPort ?? net.smtpPort}._tcp.${host.tlsaAt ?? host.name}.`;
      for (const spec of host.tlsa)
        out.push({ host, spec, chainFile: `${base}.chain.pem`, keyFile: `${base}.key.pem`, owner });
    }
  }
  return out;
}

const isRight = (c: Case): boolean =>
  c.spec.corrupt !== true && c.spec.of !== 'retired-leaf' && (c.spec.usage === 2 || c.spec.usage === 3);

function params(spec: TlsaSpec): string[] {
  return ['--usage', String(spec.usage), '--selector', String(spec.selector), '--mtype', String(spec.mtype)];
}

test('tlsa prints the record each scenario publishes, where that record is right', async () => {
  const all = await cases();
  const right = all.filter(isRight);
  assert.ok(right.length >= 25, `enough cases (${right.length})`);
  let checked = 0;
  for (const c of right) {
    const zone = await published(c.owner);
    const where = ['--host', c.host.tlsaAt ?? c.host.name, '--port', String(c.host.tlsaPort ?? net.smtpPort)];
    const ta = c.spec.usage === 2;
    if (ta && c.host.cert?.send === 'leaf') {
      // DANE-TA of a CA the server does not send (ta-no-ca): its chain file cannot give it.
      const r = await tlsaRun([c.chainFile, ...params(c.spec), '--chain', c.chainFile, ...where]);
      assert.equal(r.code, 64);
      assert.match(r.err, /no certificate in .* issued .*dane-mta lab Root CA/);
      continue;
    }
    const out = ta
      ? await tlsaCli([c.chainFile, ...params(c.spec), '--chain', c.chainFile, ...where])
      : await tlsaCli([c.chainFile, ...params(c.spec), ...where]);
    const lines = out
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith(';'));
    assert.equal(lines.length, 1, out);
    assert.ok(lines[0]?.startsWith(`${c.owner} IN TLSA `), `${lines[0] ?? ''} owner ${c.owner}`);
    const rec = recordOf(lines[0] ?? '');
    assert.ok(
      zone.includes(rec),
      `${c.host.name} ${c.spec.usage}${c.spec.selector}${c.spec.mtype}: ${rec} not in ${zone.join(', ')}`,
    );
    if (!ta && c.spec.selector === 1) {
      const fromKey = recordOf((await tlsaCli([c.keyFile, ...params(c.spec), ...where])).trim());
      assert.equal(fromKey, rec, `${c.host.name}: the private key gives the same record`);
    }
    checked++;
  }
  assert.ok(checked >= 25, `checked ${checked}`);
});

test('where the published record is wrong, tlsa on the current certificate says something else', async () => {
  const wrong = (await cases()).filter((c) => !isRight(c) && c.spec.usage === 3);
  assert.ok(wrong.length >= 4, `cases: ${wrong.map((c) => c.host.name).join(', ')}`);
  for (const c of wrong) {
    const zone = await published(c.owner);
    const where = ['--host', c.host.tlsaAt ?? c.host.name, '--port', String(net.smtpPort)];
    const rec = recordOf((await tlsaCli([c.chainFile, ...params(c.spec), ...where])).trim());
    const stale = zone.filter((z) => z.startsWith(`${c.spec.usage} ${c.spec.selector} ${c.spec.mtype} `));
    assert.ok(stale.length > 0);
    if (
      c.host.tlsa?.some(
        (t) => isRight({ ...c, spec: t }) && t.usage === c.spec.usage && t.selector === c.spec.selector,
      ) === true
    ) {
      // one-wrong-one-right: the right record is there too, the wrong one differs from it.
      assert.ok(stale.some((z) => z !== rec));
    } else {
      assert.ok(
        !stale.includes(rec),
        `${c.host.name}: ${rec} is published, yet the scenario's record is wrong`,
      );
    }
  }
});
