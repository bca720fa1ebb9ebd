/**
 * The finding catalogue and what follows from findings: every code has a severity, the verdict
 * is `error` only for a certain error, `unknown` when the checker could not tell, then `warning`
 * or `ok`; the exit status is 1, 75 or 0; findings sort worst first without losing order or
 * keeping duplicates.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitStatusOf, finding, FINDINGS, isUnknown, sortFindings, verdictOf } from './findings.ts';

test('every code has a severity and a description', () => {
  for (const [code, kind] of Object.entries(FINDINGS)) {
    assert.ok(['error', 'warning', 'info'].includes(kind.severity), code);
    assert.ok(kind.about.length > 0, code);
    assert.match(code, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  }
});

test('severities the issue asks for', () => {
  assert.equal(FINDINGS['tlsa-no-match'].severity, 'error');
  assert.equal(FINDINGS['dnssec-bogus'].severity, 'error');
  assert.equal(FINDINGS['starttls-missing'].severity, 'error');
  assert.equal(FINDINGS['rrsig-expiring'].severity, 'warning');
  assert.equal(FINDINGS['no-next-key'].severity, 'warning');
  assert.equal(FINDINGS['nsec3-iterations'].severity, 'warning');
  assert.equal(FINDINGS['dane-ok'].severity, 'info');
});

const ok = finding('dane-ok', 'mx', 'matched', null);
const warn = finding('no-next-key', 'mx', 'only one key', 'publish the next');
const err = finding('tlsa-no-match', 'mx', 'stale', 'publish the new');
const failed = finding('lookup-failed', 'mx', 'SERVFAIL', 'fix the servers');

const VERDICTS: readonly {
  name: string;
  findings: ReturnType<typeof finding>[];
  want: string;
  exit: number;
}[] = [
  { name: 'nothing', findings: [], want: 'ok', exit: 0 },
  { name: 'info only', findings: [ok], want: 'ok', exit: 0 },
  { name: 'a warning', findings: [ok, warn], want: 'warning', exit: 0 },
  { name: 'an error', findings: [warn, err], want: 'error', exit: 1 },
  { name: 'a failed lookup', findings: [warn, failed], want: 'unknown', exit: 75 },
  { name: 'a failed lookup and a certain error', findings: [failed, err], want: 'error', exit: 1 },
];

for (const c of VERDICTS) {
  test(`verdict: ${c.name}`, () => {
    const v = verdictOf(c.findings);
    assert.equal(v, c.want);
    assert.equal(exitStatusOf(v), c.exit);
  });
}

test('could-not-tell codes', () => {
  assert.ok(isUnknown(failed));
  assert.ok(isUnknown(finding('smtp-unreachable', 'mx', 'refused', 'x')));
  assert.ok(!isUnknown(err));
});

test('sortFindings: worst first, stable, duplicates dropped', () => {
  const sorted = sortFindings([ok, warn, err, warn, finding('null-mx', null, 'n', null)]);
  assert.deepEqual(
    sorted.map((f) => f.code),
    ['tlsa-no-match', 'no-next-key', 'dane-ok', 'null-mx'],
  );
});

test('messages and fixes never carry control characters (a hostile reply cannot add a line)', () => {
  const f = finding('smtp-unreachable', 'mx', '554 evil\r\nINFO dane-ok: fine\u0000', 'x\ny');
  assert.equal(f.message, '554 evil??INFO dane-ok: fine?');
  assert.equal(f.fix, 'x?y');
});
