/**
 * Replays all 162 of Unbound's validator scenarios (`val_*.rpl`, `val_*.crpl` from
 * /work/shared/vectors/unbound-testdata, README §2e) against our resolver in recursive mode with
 * a fake network, a fixed clock and the scenarios' own trust anchors (replay-harness.ts). Every
 * scenario must pass, or be excused in unbound-replay-deviations.ts with an RFC-backed reason;
 * an excused scenario that starts passing fails too, so the list stays true. Prints
 * `unbound replay: passed P / failed F / excused E`. Set DANE_MTA_REPLAY_VERBOSE=1 for the
 * queries of failing scenarios.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { replayScenario } from './replay-harness.ts';
import { REPLAY_DEVIATIONS } from './unbound-replay-deviations.ts';
import { parseRpl } from './unbound-testdata.ts';
import { vectorPath } from '../helpers/vectors.ts';

const DIR = vectorPath('unbound-testdata');
const files = readdirSync(DIR)
  .filter((f) => /^val_.*\.c?rpl$/.test(f))
  .sort();
const verbose = process.env['DANE_MTA_REPLAY_VERBOSE'] === '1';
const counts = { passed: 0, failed: 0, excused: 0 };

test('the corpus has all 162 validator scenarios', () => {
  assert.equal(files.length, 162);
});

for (const file of files) {
  test(`unbound replay ${file}`, async () => {
    const sc = parseRpl(readFileSync(join(DIR, file), 'utf8'));
    const { checks, net } = await replayScenario(sc);
    assert.ok(checks.length > 0, 'scenario has no CHECK_ANSWER');
    const bad = checks.filter((c) => !c.ok);
    const excuse = REPLAY_DEVIATIONS[file];
    if (bad.length > 0 && verbose) {
      for (const c of bad)
        console.log(
          `${file} step ${c.step} ${c.question}: want ${c.want}; got ${c.got}; ${c.problems.join('; ')}`,
        );
      for (const q of net.log)
        console.log(`   [${q.step}] ${q.server} ${q.qname} ${q.qtype}${q.answered ? '' : ' (no answer)'}`);
    }
    if (excuse !== undefined) {
      counts.excused++;
      assert.ok(bad.length > 0, `${file} is listed as a deviation (${excuse.reason}) but now passes`);
      return;
    }
    if (bad.length > 0) counts.failed++;
    else counts.passed++;
    assert.deepEqual(
      bad.map((c) => `step ${c.step} ${c.question}: want ${c.want}; got ${c.got}; ${c.problems.join('; ')}`),
      [],
    );
  });
}

after(() => {
  console.log(
    `unbound replay: passed ${counts.passed} / failed ${counts.failed} / excused ${counts.excused}`,
  );
});
