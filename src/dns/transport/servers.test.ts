/** Tests: server specs (ADDR[:PORT], [v6][:PORT], bare v6) and resolv.conf parsing and reading. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMtaError } from '../../util/index.ts';
import {
  normalizeAddress,
  parseResolvConf,
  parseServerSpec,
  readResolvConf,
  serverProblem,
  type ResolvConf,
} from './servers.ts';

test('parseServerSpec accepts every documented form', () => {
  const cases: { spec: string; want: { address: string; port: number } }[] = [
    { spec: '127.0.0.1', want: { address: '127.0.0.1', port: 53 } },
    { spec: '127.0.0.1:5353', want: { address: '127.0.0.1', port: 5353 } },
    { spec: ' 192.0.2.1:1 ', want: { address: '192.0.2.1', port: 1 } },
    { spec: '[::1]', want: { address: '::1', port: 53 } },
    { spec: '[::1]:5300', want: { address: '::1', port: 5300 } },
    { spec: '::1', want: { address: '::1', port: 53 } },
    { spec: '2001:db8::53', want: { address: '2001:db8::53', port: 53 } },
    { spec: '[2001:DB8::1]:65535', want: { address: '2001:DB8::1', port: 65535 } },
    { spec: 'fe80::1%eth0', want: { address: 'fe80::1%eth0', port: 53 } },
    { spec: '[fe80::1%lo]:54', want: { address: 'fe80::1%lo', port: 54 } },
    { spec: '::ffff:127.0.0.1', want: { address: '::ffff:127.0.0.1', port: 53 } },
  ];
  for (const c of cases) assert.deepEqual(parseServerSpec(c.spec), c.want, c.spec);
  assert.deepEqual(parseServerSpec('127.0.0.1', { defaultPort: 5353 }), { address: '127.0.0.1', port: 5353 });
});

test('parseServerSpec rejects bad specs with DNS_ERR_BAD_SERVER and a one-line reason', () => {
  const cases: { spec: string; want: RegExp }[] = [
    { spec: '', want: /empty/ },
    { spec: '   ', want: /empty/ },
    { spec: 'dns.example', want: /not an IP address/ },
    { spec: 'localhost:53', want: /not an IP address/ },
    { spec: '256.0.0.1', want: /not an IPv4 address/ },
    { spec: '1.2.3', want: /not an IPv4 address/ },
    { spec: '01.2.3.4', want: /not an IPv4 address/ },
    { spec: '127.0.0.1:0', want: /outside 1-65535/ },
    { spec: '127.0.0.1:65536', want: /outside 1-65535/ },
    { spec: '127.0.0.1:', want: /port '' is not a number/ },
    { spec: '127.0.0.1:dns', want: /not a number/ },
    { spec: '127.0.0.1:-1', want: /not a number/ },
    { spec: '[::1', want: /expected/ },
    { spec: '[::1]x', want: /expected/ },
    { spec: '[::1]:0', want: /outside/ },
    { spec: '[127.0.0.1]:53', want: /not an IPv6 address/ },
    { spec: '[]', want: /not an IPv6 address/ },
    { spec: ':::1', want: /not an IPv6 address/ },
    { spec: '2001:db8::zz', want: /not an IPv6 address/ },
    { spec: 'fe80::1%', want: /zone index/ },
    { spec: 'fe80::1%a b', want: /zone index/ },
    { spec: '127.0.0.1%eth0', want: /IPv6 addresses only/ },
  ];
  for (const c of cases) {
    assert.throws(
      () => parseServerSpec(c.spec),
      (e: unknown) => {
        assert.ok(isMtaError(e, 'DNS_ERR_BAD_SERVER'), `${c.spec}: ${String(e)}`);
        assert.match(e.message, c.want, c.spec);
        assert.ok(!e.message.includes('\n'));
        return true;
      },
    );
  }
});

test('normalizeAddress', () => {
  const cases: { in: string; want: string }[] = [
    { in: '127.0.0.1', want: '127.0.0.1' },
    { in: '::1', want: '::1' },
    { in: '0:0:0:0:0:0:0:1', want: '::1' },
    { in: '2001:DB8:0::0:1', want: '2001:db8::1' },
    { in: 'fe80::1%eth0', want: 'fe80::1' },
  ];
  for (const c of cases) assert.equal(normalizeAddress(c.in), c.want, c.in);
});

test('serverProblem refuses what a socket would look up or throw on', () => {
  const cases: { address: string; port: number; want: RegExp | undefined }[] = [
    { address: '127.0.0.1', port: 53, want: undefined },
    { address: '::1', port: 65535, want: undefined },
    { address: 'fe80::1%eth0', port: 53, want: undefined },
    { address: 'localhost', port: 53, want: /not an IP address/ },
    { address: '127.0.0.1%eth0', port: 53, want: /not an IP address/ },
    { address: 'fe80::1%', port: 53, want: /not an IP address/ },
    { address: '127.0.0.1', port: 0, want: /outside/ },
    { address: '127.0.0.1', port: 1.5, want: /outside/ },
    { address: '127.0.0.1', port: 65536, want: /outside/ },
  ];
  for (const c of cases) {
    const got = serverProblem({ address: c.address, port: c.port });
    if (c.want === undefined) assert.equal(got, undefined, c.address);
    else assert.match(got ?? '', c.want, `${c.address} ${c.port}`);
  }
});

test('parseResolvConf table', () => {
  const base: ResolvConf = { servers: [], rotate: false, useTcp: false, warnings: [] };
  const cases: { name: string; text: string; want: Partial<ResolvConf> }[] = [
    { name: 'empty', text: '', want: {} },
    {
      name: 'IPv4 and IPv6 servers, comments, search',
      text: '# generated\n; comment\nsearch example.com\nnameserver 192.0.2.53\nnameserver   2001:db8::53  \ndomain x\n',
      want: {
        servers: [
          { address: '192.0.2.53', port: 53 },
          { address: '2001:db8::53', port: 53 },
        ],
      },
    },
    {
      name: 'scoped link-local kept with its zone',
      text: 'nameserver fe80::1%eth0\n',
      want: { servers: [{ address: 'fe80::1%eth0', port: 53 }] },
    },
    {
      name: 'options timeout, attempts, rotate, use-vc; others ignored',
      text: 'options ndots:2 timeout:3 attempts:4 rotate edns0\noptions use-vc trust-ad\n',
      want: { timeoutMs: 3000, attempts: 4, rotate: true, useTcp: true },
    },
    {
      name: 'caps as glibc: timeout 30 s, attempts 5, minimum 1',
      text: 'options timeout:99 attempts:9\noptions attempts:0\n',
      want: { timeoutMs: 30000, attempts: 1 },
    },
    {
      name: 'later options override earlier ones',
      text: 'options timeout:1\noptions timeout:2\n',
      want: { timeoutMs: 2000 },
    },
    {
      name: 'bad lines become warnings',
      text: 'nameserver\nnameserver dns.example\nnameserver 1.2.3.4:53\nnameserver 300.1.1.1\noptions timeout:x\nnameserver 127.0.0.1\n',
      want: {
        servers: [{ address: '127.0.0.1', port: 53 }],
        warnings: [
          'line 1: nameserver without an address',
          "line 2: 'dns.example' is not an IP address",
          "line 3: bad DNS server '[1.2.3.4:53]': '1.2.3.4:53' is not an IPv6 address",
          "line 4: '300.1.1.1' is not an IP address",
          "line 5: bad option 'timeout:x'",
        ],
      },
    },
    {
      name: 'at most three nameservers (MAXNS)',
      text: 'nameserver 127.0.0.1\nnameserver 127.0.0.2\nnameserver 127.0.0.3\nnameserver 127.0.0.4\n',
      want: {
        servers: [1, 2, 3].map((n) => ({ address: `127.0.0.${n}`, port: 53 })),
        warnings: ["line 4: more than 3 nameservers, '127.0.0.4' ignored"],
      },
    },
    {
      name: 'CRLF line ends and indented keywords',
      text: 'nameserver 127.0.0.9\r\n  nameserver ::1\r\n',
      want: {
        servers: [
          { address: '127.0.0.9', port: 53 },
          { address: '::1', port: 53 },
        ],
      },
    },
  ];
  for (const c of cases) assert.deepEqual(parseResolvConf(c.text), { ...base, ...c.want }, c.name);
});

test('readResolvConf reads a file, and falls back to 127.0.0.1 when there is none or no server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dane-mta-resolv-'));
  try {
    const path = join(dir, 'resolv.conf');
    writeFileSync(path, 'nameserver 127.0.0.53\noptions timeout:1\n');
    const got = readResolvConf({ path });
    assert.deepEqual(got.servers, [{ address: '127.0.0.53', port: 53 }]);
    assert.equal(got.timeoutMs, 1000);
    assert.deepEqual(got.warnings, []);

    const missing = readResolvConf({ path: join(dir, 'nope.conf') });
    assert.deepEqual(missing.servers, [{ address: '127.0.0.1', port: 53 }]);
    assert.match(missing.warnings[0] ?? '', /^cannot read .*nope\.conf: .*ENOENT/);
    assert.match(missing.warnings[1] ?? '', /using 127\.0\.0\.1:53$/);

    writeFileSync(path, '# nothing here\n');
    const none = readResolvConf({ path });
    assert.deepEqual(none.servers, [{ address: '127.0.0.1', port: 53 }]);
    assert.equal(none.warnings.length, 1);

    const injected = readResolvConf({
      path: '/virtual',
      readFile: (p) => (p === '/virtual' ? 'nameserver ::1\n' : ''),
    });
    assert.deepEqual(injected.servers, [{ address: '::1', port: 53 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
