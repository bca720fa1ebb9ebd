/**
 * The users file: scrypt hash strings that carry their parameters and salt, verification in
 * constant time, unknown users refused, malformed files refused with `file:line`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../util/index.ts';
import { hashPassword, parseHash, parseUsers, UsersFileError, verifyPassword } from './users.ts';

const FAST = { ln: 10, r: 8, p: 1 };

test('hash strings encode parameters and salt; verification accepts only the password', async () => {
  const a = await hashPassword('correct horse', { random: seededRandom(1), params: FAST });
  const b = await hashPassword('correct horse', { random: seededRandom(2), params: FAST });
  assert.match(a, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(a, b, 'a different salt gives a different string');
  assert.equal(await verifyPassword('correct horse', a), true);
  assert.equal(await verifyPassword('correct horse', b), true);
  assert.equal(await verifyPassword('correct horsE', a), false);
  assert.equal(await verifyPassword('', a), false);
  assert.equal(await verifyPassword('correct horse', a.replace('ln=10', 'ln=11')), false);
  assert.equal(await verifyPassword('correct horse', 'garbage'), false);
});

test('the default cost is N=2^15, r=8, p=1', async () => {
  const h = await hashPassword('pw', { random: seededRandom(3) });
  assert.match(h, /^\$scrypt\$ln=15,r=8,p=1\$/);
  assert.equal(await verifyPassword('pw', h), true);
});

test('Unicode passwords are compared in NFC', async () => {
  const h = await hashPassword('Gr\u00fc\u00dfe', { random: seededRandom(4), params: FAST });
  assert.equal(await verifyPassword('Gru\u0308\u00dfe', h), true);
});

test('a users file: known users verify, unknown ones and wrong passwords do not', async () => {
  const alice = await hashPassword('alice-pw', { random: seededRandom(5), params: FAST });
  const bob = await hashPassword('bob-pw', { random: seededRandom(6), params: FAST });
  const users = parseUsers(`# submission users\n\nalice:${alice}\r\nbob@example.org:${bob}\n`, '/etc/users');
  assert.equal(users.size, 2);
  assert.equal(await users.verify('alice', 'alice-pw'), true);
  assert.equal(await users.verify('bob@example.org', 'bob-pw'), true);
  assert.equal(await users.verify('alice', 'bob-pw'), false);
  assert.equal(await users.verify('carol', 'alice-pw'), false);
  assert.equal(await users.verify('', ''), false);
});

test('malformed users files are one-line file:line errors', async () => {
  const good = await hashPassword('x', { random: seededRandom(7), params: FAST });
  const cases: [string, string][] = [
    ['alice\n', '/u:1: expected name:hash'],
    [`# c\nalice:${good}\nalice:${good}\n`, "/u:3: user 'alice' is listed twice"],
    [`\n\n al ice:${good}\n`, '/u:3: bad user name'],
    [
      'bob:$2y$10$abcdefghijklmnopqrstuv\n',
      '/u:1: not an scrypt hash of the form $scrypt$ln=N,r=N,p=N$SALT$HASH (use dane-mta passwd)',
    ],
    [
      `bob:${good.replace('ln=10', 'ln=30')}\n`,
      '/u:1: scrypt parameters out of range (ln 10–20, r 1–32, p 1–16)',
    ],
    [`:${good}\n`, '/u:1: bad user name'],
  ];
  for (const [text, message] of cases) {
    assert.throws(
      () => parseUsers(text, '/u'),
      (e: unknown) => e instanceof UsersFileError && e.message === message,
      JSON.stringify(text),
    );
  }
  assert.equal(
    typeof parseHash('$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$c2hvcnQ'),
    'string',
    'short key',
  );
});
