/**
 * loadConfig / parseConfig: every default, every kind of error with its exact
 * `file:line:column: key: …` line, files resolved and checked, DANE exceptions and their expiry.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigLoadError, loadConfig, parseConfig } from './load.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const RELAY = 'listen:\n  - address: 127.0.0.1:2525\n    mode: relay\n';

function parse(text: string) {
  return parseConfig(text, { file: 'dane-mta.yaml', now: NOW, checkFiles: false });
}

function errorOf(text: string): ConfigLoadError {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof ConfigLoadError, `not a ConfigLoadError: ${String(e)}`);
    return e;
  }
  assert.fail(`no error for:\n${text}`);
}

test('every key has its documented default', () => {
  const { config: c, warnings } = parse(RELAY);
  assert.deepEqual(warnings, []);
  assert.equal(c.hostname, hostname());
  assert.deepEqual(c.listen, [
    {
      address: { host: '127.0.0.1', port: 2525 },
      mode: 'relay',
      networks: ['127.0.0.0/8', '::1/128'],
      tls: null,
      users: null,
    },
  ]);
  assert.deepEqual(c.limits, {
    message_size: 25_000_000,
    recipients: 1000,
    received_headers: 50,
    connections: 500,
    command_timeout: 5 * 60_000,
  });
  assert.deepEqual(c.queue, {
    url: 'sqlite:/var/lib/dane-mta/queue.db',
    retry: [5, 10, 20, 40, 60].map((m) => m * 60_000),
    max_age: 5 * 86_400_000,
    delay_warning: 4 * 3_600_000,
    lease: 2 * 60_000,
    retain: 86_400_000,
    listen_notify: true,
  });
  assert.deepEqual(c.dns, { mode: 'validate', resolvers: [], trust_anchors: [], timeout: 2000 });
  assert.deepEqual(c.delivery, {
    tls: 'dane',
    insecure_mx: 'dane',
    port: 25,
    helo: hostname(),
    ca: [],
    concurrency: 200,
    per_destination: 10,
    messages_per_connection: 100,
    connection_cache_time: 2000,
    connection_reuse_time: 5 * 60_000,
    rate: null,
    group_by_mx: false,
    destinations: [],
  });
  assert.deepEqual(c.http, {});
  assert.deepEqual(c.log, { format: 'json', level: 'info' });
  assert.deepEqual(c.shutdown, { grace: 30_000 });
});

test('a full file: values parsed, aliases normalised, helo defaults to hostname', () => {
  const { config: c } = parse(`
hostname: mta.example.net
listen:
  - address: "[::1]:587"
    mode: submission
    tls: { cert: /etc/dane-mta/cert.pem, key: /etc/dane-mta/key.pem }
    users: /etc/dane-mta/users
  - address: 0.0.0.0:25
    mode: relay
    networks: [192.0.2.0/24, "2001:db8::/32", 198.51.100.7]
limits: { message_size: 10MiB, recipients: 5, received_headers: 30, connections: 7, command_timeout: 1h30m }
queue:
  url: postgres://mta@db.example.net/queue
  retry: [1m, 250ms]
  delay_warning: off
  listen_notify: false
dns: { mode: recursive, root_hints: /etc/dane-mta/root.hints, port: 5353, timeout: 500ms }
delivery:
  tls: encrypt
  insecure_mx: may
  source: 192.0.2.1
  timeout: 2m
  rate: { messages_per_minute: 60 }
  group_by_mx: true
http: { listen: 127.0.0.1:9825 }
log: { format: pretty, level: debug }
shutdown: { grace: 1w }
`);
  assert.equal(c.hostname, 'mta.example.net');
  assert.equal(c.delivery.helo, 'mta.example.net');
  const [submission, relay] = c.listen;
  assert.deepEqual(submission!.address, { host: '::1', port: 587 });
  assert.deepEqual(submission!.networks, []);
  assert.deepEqual(relay!.networks, ['192.0.2.0/24', '2001:db8::/32', '198.51.100.7']);
  assert.equal(c.limits.message_size, 10 * 1024 * 1024);
  assert.equal(c.limits.command_timeout, 90 * 60_000);
  assert.deepEqual(c.queue.retry, [60_000, 250]);
  assert.equal(c.queue.delay_warning, null);
  assert.equal(c.queue.listen_notify, false);
  assert.equal(c.dns.port, 5353);
  assert.equal(c.delivery.tls, 'require', 'encrypt is normalised');
  assert.equal(c.delivery.insecure_mx, 'may');
  assert.equal(c.delivery.timeout, 120_000);
  assert.deepEqual(c.delivery.rate, { messages_per_minute: 60 });
  assert.deepEqual(c.http.listen, { host: '127.0.0.1', port: 9825 });
  assert.equal(c.shutdown.grace, 7 * 86_400_000);
});

/** [name, YAML text, wanted line (exact), wanted message pattern]. */
const ERRORS: [string, string, string, RegExp?][] = [
  ['no listen key', 'hostname: a.example\n', 'dane-mta.yaml:1:1: listen: missing (required)'],
  ['empty file', '', 'dane-mta.yaml:1:1: the file has no settings; at least listen is required'],
  ['a list at the top', '- a\n- b\n', 'dane-mta.yaml:1:1: expected a mapping (key: value lines), got a list'],
  ['empty listen', 'listen: []\n', 'dane-mta.yaml:1:9: listen: give at least one listener'],
  ['unknown top-level key', `${RELAY}colour: blue\n`, 'dane-mta.yaml:4:1: colour: unknown key'],
  ['unknown nested key', `${RELAY}    backlog: 5\n`, 'dane-mta.yaml:4:5: listen[0].backlog: unknown key'],
  [
    'missing address',
    'listen:\n  - mode: relay\n',
    'dane-mta.yaml:2:5: listen[0].address: missing (required)',
  ],
  ['wrong type', `hostname: 42\n${RELAY}`, 'dane-mta.yaml:1:11: hostname: expected text, got the number 42'],
  [
    'bad enum',
    'listen:\n  - address: 127.0.0.1:25\n    mode: smtp\n',
    "dane-mta.yaml:3:11: listen[0].mode: must be one of relay, submission; got the text 'smtp'",
  ],
  [
    'address without port',
    'listen:\n  - address: 127.0.0.1\n    mode: relay\n',
    "dane-mta.yaml:2:14: listen[0].address: '127.0.0.1' is not an address with a port; write IP:port, e.g. 127.0.0.1:25 or [::1]:25",
  ],
  [
    'port out of range',
    'listen:\n  - address: 127.0.0.1:70000\n    mode: relay\n',
    "dane-mta.yaml:2:14: listen[0].address: port '70000' is out of range (0–65535)",
  ],
  [
    'bad CIDR',
    `${RELAY}    networks: [127.0.0.0/33]\n`,
    "dane-mta.yaml:4:16: listen[0].networks[0]: '127.0.0.0/33': prefix length must be 0–32",
  ],
  [
    'bare number duration',
    `${RELAY}limits:\n  command_timeout: 300\n`,
    'dane-mta.yaml:5:20: limits.command_timeout: 300 has no unit; write it with a unit: 250ms, 30s, 5m, 1h, 5d, 2w (or combined, as 1h30m)',
  ],
  [
    'a command timeout too short to greet',
    `${RELAY}limits:\n  command_timeout: 50ms\n`,
    'dane-mta.yaml:5:20: limits.command_timeout: must be at least 1s (RFC 5321 §4.5.3.2.7 asks for 5m)',
  ],
  [
    'bad duration in a list',
    `${RELAY}queue:\n  retry: [5m, soon]\n`,
    "dane-mta.yaml:5:15: queue.retry[1]: 'soon' is not a duration; write it with a unit: 250ms, 30s, 5m, 1h, 5d, 2w (or combined, as 1h30m)",
  ],
  [
    'bad size',
    `${RELAY}limits: { message_size: 25 parsecs }\n`,
    "dane-mta.yaml:4:25: limits.message_size: '25 parsecs' is not a size; write a number of bytes or a size such as 25MB or 10MiB",
  ],
  [
    'zero recipients',
    `${RELAY}limits: { recipients: 0 }\n`,
    'dane-mta.yaml:4:23: limits.recipients: must be at least 1',
  ],
  [
    'fractional count',
    `${RELAY}delivery: { concurrency: 2.5 }\n`,
    'dane-mta.yaml:4:26: delivery.concurrency: expected a whole number, got the number 2.5',
  ],
  [
    'unknown TLS mode',
    `${RELAY}delivery: { tls: sometimes }\n`,
    /^dane-mta\.yaml:4:18: delivery\.tls: must be one of disabled, optional, .*; got the text 'sometimes'$/
      .source,
  ],
  [
    'submission without tls and users',
    'listen:\n  - address: 127.0.0.1:587\n    mode: submission\n',
    'dane-mta.yaml:2:5: listen[0].tls: a submission listener needs tls (AUTH only after STARTTLS)',
  ],
  [
    'users on a relay listener',
    `${RELAY}    users: /etc/users\n`,
    'dane-mta.yaml:4:12: listen[0].users: users applies only to submission listeners (relay does not authenticate)',
  ],
  [
    'bad queue url',
    `${RELAY}queue: { url: "mysql://x" }\n`,
    'dane-mta.yaml:4:15: queue.url: expected sqlite:PATH or postgres://user@host/db',
  ],
  [
    'resolvers in recursive mode',
    `${RELAY}dns:\n  mode: recursive\n  resolvers: ["127.0.0.1:53"]\n`,
    'dane-mta.yaml:6:14: dns.resolvers: resolvers does not apply to mode recursive (it asks the root servers)',
  ],
  [
    'bad resolver',
    `${RELAY}dns: { resolvers: [localhost] }\n`,
    "dane-mta.yaml:4:20: dns.resolvers[0]: 'localhost' is not a resolver address; write ADDR or ADDR:PORT, e.g. 127.0.0.1:53",
  ],
  [
    'bad destination key',
    `${RELAY}delivery:\n  destinations:\n    "bad domain!": { port: 2525 }\n`,
    `dane-mta.yaml:6:20: delivery.destinations["bad domain!"]: 'bad domain!' is not a domain or *.domain`,
  ],
  [
    'DANE exception without reason and until',
    `${RELAY}delivery:\n  destinations:\n    broken.example: { tls: encrypt }\n`,
    'dane-mta.yaml:6:21: delivery.destinations["broken.example"].reason: this entry weakens DANE (a DANE exception) and needs reason and until',
  ],
  [
    'DANE exception without until',
    `${RELAY}delivery:\n  destinations:\n    broken.example:\n      insecure_mx: may\n      reason: told them\n`,
    'dane-mta.yaml:7:7: delivery.destinations["broken.example"].until: this entry weakens DANE (a DANE exception) and needs until',
  ],
  [
    'bad until',
    `${RELAY}delivery:\n  destinations:\n    broken.example: { tls: may, reason: x, until: 2027-02-30 }\n`,
    'dane-mta.yaml:6:51: delivery.destinations["broken.example"].until: \'2027-02-30\' is not a valid date',
  ],
  [
    'YAML syntax error',
    'listen:\n  - address: [127.0.0.1:25\nmode: relay\n',
    /^dane-mta\.yaml:3:1: YAML: /.source,
  ],
  ['duplicate key', `${RELAY}${RELAY}`, 'dane-mta.yaml:4:1: YAML: Map keys must be unique'],
  ['unknown tag', `${RELAY}hostname: !secret x\n`, 'dane-mta.yaml:4:11: YAML: Unresolved tag: !secret'],
];

for (const [name, text, want] of ERRORS) {
  test(`config error: ${name}`, () => {
    const e = errorOf(text);
    if (want.startsWith('^')) assert.match(e.message, new RegExp(want));
    else assert.equal(e.message, want);
    assert.equal(e.code, 'CONFIG_ERR_LOAD');
    assert.equal(e.message.split('\n').length, 1, 'one line');
  });
}

test('the error reports the earliest problem in the file and its position fields', () => {
  const e = errorOf(`hostname: 42\n${RELAY}colour: blue\n`);
  assert.equal(e.line, 1);
  assert.equal(e.column, 11);
  assert.equal(e.keyPath, 'hostname');
});

test('an unreadable file is one line naming it', () => {
  assert.throws(
    () => loadConfig('/nonexistent/dane-mta.yaml', { now: NOW }),
    (e: unknown) =>
      e instanceof ConfigLoadError &&
      /^\/nonexistent\/dane-mta\.yaml:1:1: cannot read the configuration file \(ENOENT/.test(e.message),
  );
});

test('files are resolved against the configuration directory and checked', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dane-mta-config-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'cert.pem'), 'x');
  writeFileSync(join(dir, 'key.pem'), 'x');
  const text =
    'listen:\n  - address: 127.0.0.1:587\n    mode: submission\n' +
    '    tls: { cert: cert.pem, key: key.pem }\n    users: users\nqueue: { url: "sqlite:q.db" }\n';
  writeFileSync(join(dir, 'dane-mta.yaml'), text);
  assert.throws(
    () => loadConfig(join(dir, 'dane-mta.yaml'), { now: NOW }),
    (e: unknown) =>
      e instanceof ConfigLoadError &&
      e.message.startsWith(
        `${join(dir, 'dane-mta.yaml')}:5:12: listen[0].users: cannot read ${join(dir, 'users')} (`,
      ),
  );
  writeFileSync(join(dir, 'users'), '');
  const { config } = loadConfig(join(dir, 'dane-mta.yaml'), { now: NOW });
  const listener = config.listen[0]!;
  assert.deepEqual(listener.tls, { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
  assert.equal(listener.users, join(dir, 'users'));
  assert.equal(config.queue.url, `sqlite:${join(dir, 'q.db')}`);
});

test('DANE exceptions: valid until the date, expired with a warning after it', () => {
  const text = `${RELAY}delivery:
  destinations:
    broken.example: { tls: encrypt, until: 2027-03-01, reason: "stale TLSA, told them" }
    old.example: { tls: none, until: "2026-05-31T23:59:59Z", reason: migration }
    "*.Bücher.example": { insecure_mx: dane, port: 2525 }
`;
  const { config, warnings } = parse(text);
  const [broken, old, wild] = config.delivery.destinations.map((d) => d);
  assert.ok(broken !== undefined && old !== undefined && wild !== undefined);
  assert.equal(broken.tls, 'require');
  assert.deepEqual(broken.until, { text: '2027-03-01', ms: Date.parse('2027-03-01T00:00:00Z') });
  assert.equal(broken.weakensDane, true);
  assert.equal(broken.expired, false);
  assert.equal(old.tls, 'disabled');
  assert.equal(old.expired, true);
  assert.equal(wild.key, '*.xn--bcher-kva.example');
  assert.equal(wild.weakensDane, false);
  assert.deepEqual(warnings, [
    'dane-mta.yaml:7:18: delivery.destinations["old.example"]: ignored: exception for old.example expired on 2026-05-31T23:59:59Z (migration); the global TLS policy applies',
  ]);
});

test('a non-DANE global mode makes no exception of a non-DANE destination mode', () => {
  const { config } = parse(`${RELAY}delivery:\n  tls: may\n  destinations:\n    a.example: { tls: none }\n`);
  assert.equal(config.delivery.tls, 'optional');
  assert.equal(config.delivery.destinations[0]?.weakensDane, false);
});

test('two keys naming the same destination are an error', () => {
  const e = errorOf(
    `${RELAY}delivery:\n  destinations:\n    a.example: { port: 1 }\n    A.Example.: { port: 2 }\n`,
  );
  assert.equal(
    e.message,
    `dane-mta.yaml:7:17: delivery.destinations["A.Example."]: same destination as 'a.example'`,
  );
});
