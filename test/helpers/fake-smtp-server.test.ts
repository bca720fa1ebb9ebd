import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { makeTestPki, parseScript, startFakeSmtpServer, type Step } from './fake-smtp-server.ts';

test('parseScript: every directive', () => {
  const steps = parseScript(`
    # comment
    S: 220 hi
    C: EHLO x
    C: /^MAIL FROM:<.*>$/i
    C: *
    RAW: "250-a\\r\\n"
    BYTEWISE: "250 b\\r\\n"
    DATA
    STARTTLS
    SLEEP 5
    PAUSE
    RESUME
    ENDLESS: 250-spam
    FLOOD: 1000 "250-x\\r\\n"
    MARK: flooded
    WAIT: go
    WAITDATA
    STALL
    CLOSE
    RESET
  `);
  const want: Step[] = [
    { s: '220 hi' },
    { c: 'EHLO x' },
    { c: /^MAIL FROM:<.*>$/i },
    { c: '*' },
    { raw: '250-a\r\n' },
    { bytewise: '250 b\r\n' },
    { data: true },
    { starttls: true },
    { sleep: 5 },
    { pause: true },
    { resume: true },
    { endless: '250-spam' },
    { flood: { octets: 1000, chunk: '250-x\r\n' } },
    { mark: 'flooded' },
    { wait: 'go' },
    { waitData: true },
    { stall: true },
    { close: true },
    { reset: true },
  ];
  assert.deepEqual(steps, want);
  assert.throws(() => parseScript('HELLO there'), /cannot parse/);
});

/** A minimal raw client: send lines, collect what the server says until `waitFor` matches or it closes. */
async function talk(port: number, lines: string[], waitFor: RegExp): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let got = '';
  const seen = new Promise<void>((resolve) => {
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (waitFor.test(got)) resolve();
    });
    socket.on('close', () => {
      resolve();
    });
  });
  await once(socket, 'connect');
  socket.write(lines.join(''));
  await seen;
  socket.end();
  return got;
}

test('fake server: runs a transcript, records lines, bodies and pipelined lines', async () => {
  const srv = await startFakeSmtpServer({
    script:
      'S: 220 hi\nC: EHLO x\nS: 250 ok\nC: DATA\nS: 354 go\nDATA\nS: 250 done\nBYTEWISE: "221 bye\\r\\n"',
  });
  const got = await talk(srv.port, ['EHLO x\r\n', 'DATA\r\n', '..a\r\n.\r\n'], /221 bye\r\n$/);
  await srv.done;
  await srv.close();
  assert.equal(got, '220 hi\r\n250 ok\r\n354 go\r\n250 done\r\n221 bye\r\n');
  assert.deepEqual(srv.received, ['EHLO x', 'DATA']);
  assert.deepEqual(
    srv.bodies.map((b) => b.toString('latin1')),
    ['..a\r\n.\r\n'],
  );
  // Everything was sent at once: lines were waiting when 250 and again when 354 went out.
  assert.deepEqual(srv.sentAhead, ['DATA', '..a', '.', '..a', '.']);
  assert.deepEqual(srv.errors, []);
});

test('fake server: a mismatch is recorded and answered with 500', async () => {
  const srv = await startFakeSmtpServer({ script: 'S: 220 hi\nC: /^EHLO /\nS: 250 ok' });
  const got = await talk(srv.port, ['HELO x\r\n'], /500 .*\r\n/);
  await srv.done;
  await srv.close();
  assert.match(got, /500 5\.5\.2/);
  assert.deepEqual(srv.errors, ['expected /^EHLO /, got "HELO x"']);
});

test('fake server: lines after the script are recorded as extra', async () => {
  const srv = await startFakeSmtpServer({ script: 'S: 220 hi', lingerMs: 500 });
  const socket = net.connect(srv.port, '127.0.0.1');
  await once(socket, 'data');
  // The line and the close may arrive together: the server still records the line.
  socket.end('QUIT\r\n');
  await srv.done;
  await srv.close();
  assert.deepEqual(srv.extra, ['QUIT']);
});

test('fake server: STARTTLS with a generated certificate, SNI recorded', async () => {
  const pki = makeTestPki();
  const srv = await startFakeSmtpServer({
    tls: { key: pki.leafKey, cert: pki.chain },
    script: 'S: 220 hi\nC: STARTTLS\nS: 220 go\nSTARTTLS\nC: NOOP\nS: 250 secure',
  });
  const plain = net.connect(srv.port, '127.0.0.1');
  await once(plain, 'data');
  plain.write('STARTTLS\r\n');
  await once(plain, 'data');
  const secure = tls.connect({ socket: plain, servername: 'mx.test', ca: [pki.caCert] });
  await once(secure, 'secureConnect');
  assert.equal(secure.authorized, true);
  secure.write('NOOP\r\n');
  const [reply] = (await once(secure, 'data')) as [Buffer];
  assert.equal(reply.toString(), '250 secure\r\n');
  secure.end();
  await srv.done;
  await srv.close();
  assert.equal(srv.servername, 'mx.test');
  assert.deepEqual(srv.received, ['STARTTLS', 'NOOP']);
  assert.deepEqual(srv.errors, []);
});

test(
  'fake server: WAIT holds the script until release(), WAITDATA until the client speaks',
  { timeout: 10_000 },
  async () => {
    const marks: string[] = [];
    const srv = await startFakeSmtpServer({
      script: 'S: 220 hi\nMARK: greeted\nWAIT: go\nS: 250 released\nWAITDATA\nS: 250 heard you\nC: NOOP',
      onMark: (m) => marks.push(m),
    });
    const socket = net.connect(srv.port, '127.0.0.1');
    let got = '';
    let step = (): void => undefined;
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      step();
    });
    /** Resolves once what the server said ends with `re` (checked now and on every chunk). */
    const until = (re: RegExp): Promise<void> =>
      new Promise<void>((resolve) => {
        step = () => {
          if (re.test(got)) resolve();
        };
        step();
      });
    await until(/220 hi\r\n$/);
    assert.deepEqual(marks, ['greeted']);
    const released = until(/250 released\r\n$/);
    srv.release('go');
    await released;
    const heard = until(/250 heard you\r\n$/);
    socket.write('NOOP\r\n');
    await heard;
    socket.end();
    await srv.done;
    await srv.close();
    assert.equal(got, '220 hi\r\n250 released\r\n250 heard you\r\n');
    assert.deepEqual(srv.received, ['NOOP']);
    assert.deepEqual(srv.errors, []);
  },
);
