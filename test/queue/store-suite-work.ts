/**
 * Part of the one store test suite (see store-suite.ts): leases — expiry and takeover, renew,
 * release, a node killed with SIGKILL — and `complete`: results, atomicity with the attempt log
 * and DSNs, malformed input, messages deleted meanwhile. Test support only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { StoreFactory } from './store-kit.ts';
import { T0, message, ridsOf, setUp } from './store-kit.ts';

export function registerLeases(factory: StoreFactory): void {
  test('an expired lease is taken over, and the old owner can no longer complete', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const other = await s.open();
    const m = message({ to: ['a@example.org'] });
    await s.store.enqueue(m);
    const rids = ridsOf(await s.store.claim({ owner: 'n1', now: T0, leaseMs: 1000, limit: 5 }));
    assert.equal(rids.length, 1);
    assert.deepEqual(await other.claim({ owner: 'n2', now: T0 + 999, leaseMs: 1000, limit: 5 }), []);
    assert.deepEqual(
      ridsOf(await other.claim({ owner: 'n2', now: T0 + 1000, leaseMs: 1000, limit: 5 })),
      rids,
    );
    const rid = rids[0]!;
    const update = { rid, state: 'delivered' as const, enhanced: '2.0.0', reason: '250 ok', last: null };
    assert.deepEqual(await s.store.complete('n1', { updates: [update] }, T0 + 1500), {
      applied: [],
      skipped: [rid],
    });
    assert.deepEqual(await other.complete('n2', { updates: [update] }, T0 + 1600), {
      applied: [rid],
      skipped: [],
    });
    const r = (await other.show(m.id))?.recipients[0];
    assert.equal(r?.state, 'delivered');
    assert.equal(r.lastAttemptAt, T0 + 1600);
  });

  test('renew extends only the owner’s live leases', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const other = await s.open();
    await s.store.enqueue(message({ to: ['a@example.org', 'b@example.org'] }));
    const rids = ridsOf(await s.store.claim({ owner: 'n1', now: T0, leaseMs: 1000, limit: 5 }));
    assert.deepEqual(await other.renew('n2', rids, T0 + 9000), [], 'another owner renews nothing');
    assert.deepEqual(
      await s.store.renew('n1', [...rids, 999_999], T0 + 5000),
      [...rids].sort((a, b) => a - b),
    );
    assert.deepEqual(await other.claim({ owner: 'n2', now: T0 + 4999, leaseMs: 1000, limit: 5 }), []);
    assert.deepEqual(
      ridsOf(await other.claim({ owner: 'n2', now: T0 + 5000, leaseMs: 1000, limit: 5 })),
      rids,
    );
    assert.deepEqual(await s.store.renew('n1', rids, T0 + 20_000), [], 'lost leases are not renewed');
  });

  test('releaseLeases makes the owner’s recipients claimable at once', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const other = await s.open();
    await s.store.enqueue(message({ to: ['a@example.org'] }));
    const rids = ridsOf(await s.store.claim({ owner: 'n1', now: T0, leaseMs: 60_000, limit: 5 }));
    await s.store.releaseLeases('n1');
    assert.deepEqual(ridsOf(await other.claim({ owner: 'n2', now: T0, leaseMs: 60_000, limit: 5 })), rids);
  });

  test('a node killed with SIGKILL loses its leases when they expire; another node delivers', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const m = message({ to: ['a@example.org', 'b@example.org'] });
    await s.store.enqueue(m);
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./claim-child.js', import.meta.url)), s.backing.url, String(T0), '30000'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
      child.on('exit', (code, signal) => {
        resolve(signal ?? code);
      });
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout });
    const first = await Promise.race([
      new Promise<string>((resolve) => lines.once('line', resolve)),
      exited.then((how) => `exited ${String(how)}: ${stderr}`),
    ]);
    const childRids = JSON.parse(first) as number[];
    assert.equal(childRids.length, 2, `child claimed: ${first}`);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.deepEqual(await s.store.claim({ owner: 'n2', now: T0 + 29_999, leaseMs: 1000, limit: 5 }), []);
    const taken = await s.store.claim({ owner: 'n2', now: T0 + 30_000, leaseMs: 1000, limit: 5 });
    assert.deepEqual(ridsOf(taken), childRids);
    const updates = childRids.map((rid) => ({
      rid,
      state: 'delivered' as const,
      enhanced: '2.0.0',
      reason: 'ok',
      last: null,
    }));
    assert.deepEqual((await s.store.complete('n2', { updates }, T0 + 30_001)).applied, childRids);
  });
}

export function registerComplete(factory: StoreFactory): void {
  test('complete records each result: state, attempts, next attempt, last record, delay warning', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const m = message({ to: ['a@example.org', 'b@example.org', 'c@example.org'] });
    await s.store.enqueue(m);
    const [a, b, c] = ridsOf(await s.store.claim({ owner: 'n1', now: T0, leaseMs: 1000, limit: 5 })) as [
      number,
      number,
      number,
    ];
    const record = {
      mx: 'mx.example.org',
      tls: 'dane',
      reply: { code: 451, text: ['try later'] },
      ok: false,
      n: null,
    };
    const result = await s.store.complete(
      'n1',
      {
        updates: [
          { rid: a, state: 'delivered', enhanced: '2.0.0', reason: '250 ok', last: { mx: 'mx.example.org' } },
          {
            rid: b,
            state: 'deferred',
            nextAttempt: T0 + 300_000,
            enhanced: '4.7.5',
            reason: 'DANE',
            last: record,
            delayWarned: true,
          },
          {
            rid: c,
            state: 'deferred',
            nextAttempt: T0 + 300_000,
            enhanced: '4.4.1',
            reason: 'admin',
            last: null,
            countAttempt: false,
          },
        ],
      },
      T0 + 100,
    );
    assert.deepEqual(result, { applied: [a, b, c], skipped: [] });
    const rs = (await s.store.show(m.id))?.recipients ?? [];
    assert.deepEqual(
      rs.map((r) => [
        r.state,
        r.attempts,
        r.nextAttempt,
        r.lastAttemptAt,
        r.delayWarned,
        r.enhanced,
        r.reason,
        r.last,
      ]),
      [
        ['delivered', 1, null, T0 + 100, false, '2.0.0', '250 ok', { mx: 'mx.example.org' }],
        ['deferred', 1, T0 + 300_000, T0 + 100, true, '4.7.5', 'DANE', record],
        ['deferred', 0, T0 + 300_000, null, false, '4.4.1', 'admin', null],
      ],
    );
    // The delay warning stays set; a final recipient is never updated again.
    await s.store.claim({ owner: 'n1', now: T0 + 300_000, leaseMs: 1000, limit: 5 });
    const second = await s.store.complete(
      'n1',
      {
        updates: [
          { rid: a, state: 'bounced', enhanced: '5.0.0', reason: 'no', last: null },
          {
            rid: b,
            state: 'deferred',
            nextAttempt: T0 + 900_000,
            enhanced: '4.7.5',
            reason: 'DANE',
            last: null,
          },
        ],
      },
      T0 + 300_100,
    );
    assert.deepEqual(second, { applied: [b], skipped: [a] });
    const again = (await s.store.show(m.id))?.recipients ?? [];
    assert.equal(again[0]?.state, 'delivered');
    assert.deepEqual([again[1]?.attempts, again[1]?.delayWarned, again[1]?.last], [2, true, null]);
  });

  test('complete is atomic: updates, the attempt log entry and the DSNs commit together', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const m = message({ to: ['gone@example.org'] });
    const existing = message({ received: T0 + 3_600_000, to: ['other@example.org'] }); // not due in this test
    await s.store.enqueue(m);
    await s.store.enqueue(existing);
    const [rid] = ridsOf(await s.store.claim({ owner: 'n1', now: T0, leaseMs: 60_000, limit: 1 })) as [
      number,
    ];
    const attempt = {
      messageId: m.id,
      domain: 'example.org',
      at: T0 + 10,
      recipients: ['gone@example.org'],
      outcome: 'bounced',
      records: [{ mx: 'mx.example.org', reply: '550 5.1.1 no such user' }],
      transcript: ['Connecting to [192.0.2.1]:25', '550 5.1.1 no such user'],
    };
    const bounce = {
      rid,
      state: 'bounced' as const,
      enhanced: '5.1.1',
      reason: '550 no such user',
      last: null,
    };
    // A DSN whose id is taken fails the whole complete: nothing of it is applied.
    const badDsn = { ...message({ from: '', kind: 'dsn', to: [m.from] }), id: existing.id };
    await assert.rejects(s.store.complete('n1', { updates: [bounce], attempt, enqueue: [badDsn] }, T0 + 20), {
      code: 'QUEUE_ERR_ARGUMENT',
    });
    const untouched = await s.store.show(m.id);
    assert.equal(untouched?.recipients[0]?.state, 'queued');
    assert.deepEqual(untouched.attempts, []);
    assert.equal((await s.store.list()).length, 2);
    // The lease survived the failed complete: the owner still completes, nobody else claims.
    assert.deepEqual(await s.store.claim({ owner: 'n2', now: T0 + 30, leaseMs: 1000, limit: 5 }), []);
    const dsn = message({ from: '', kind: 'dsn', to: [m.from], received: T0 + 40 });
    const done = await s.store.complete('n1', { updates: [bounce], attempt, enqueue: [dsn] }, T0 + 40);
    assert.deepEqual(done, { applied: [rid], skipped: [] });
    const detail = await s.store.show(m.id);
    assert.equal(detail?.recipients[0]?.state, 'bounced');
    assert.deepEqual(detail.attempts, [attempt]);
    const stored = await s.store.show(dsn.id);
    assert.equal(stored?.message.kind, 'dsn');
    assert.equal(stored.message.from, '');
    assert.deepEqual(
      stored.recipients.map((r) => [r.address, r.state, r.nextAttempt]),
      [[m.from, 'queued', T0 + 40]],
    );
  });

  test('complete rejects malformed updates without applying any', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const m = message({ to: ['a@example.org', 'b@example.org'] });
    await s.store.enqueue(m);
    const [a, b] = ridsOf(await s.store.claim({ owner: 'n1', now: T0, leaseMs: 60_000, limit: 5 })) as [
      number,
      number,
    ];
    const ok = { rid: a, state: 'delivered' as const, enhanced: '2.0.0', reason: 'ok', last: null };
    const noNext = { rid: b, state: 'deferred' as const, enhanced: '4.0.0', reason: 'later', last: null };
    await assert.rejects(s.store.complete('n1', { updates: [ok, noNext] }, T0), {
      code: 'QUEUE_ERR_ARGUMENT',
      message: /nextAttempt/,
    });
    await assert.rejects(s.store.complete('n1', { updates: [ok, ok] }, T0), {
      code: 'QUEUE_ERR_ARGUMENT',
      message: /twice/,
    });
    const rs = (await s.store.show(m.id))?.recipients ?? [];
    assert.deepEqual(
      rs.map((r) => r.state),
      ['queued', 'queued'],
    );
  });

  test('what a hostile server said is stored: control characters, NUL, lone surrogates', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const m = message({ to: ['a@example.org'] });
    await s.store.enqueue(m);
    const [rid] = ridsOf(await s.store.claim({ owner: 'n1', now: T0, leaseMs: 60_000, limit: 1 })) as [
      number,
    ];
    const said = '550 bad\u0000 \u001b[31mred\u001b[0m \ud800 "quoted" \\ back';
    const record = { reply: said, nested: [said, { said }] };
    const attempt = {
      messageId: m.id,
      domain: 'example.org',
      at: T0,
      recipients: ['a@example.org'],
      outcome: 'bounced',
      records: [record],
      transcript: [said, ''],
    };
    const update = { rid, state: 'bounced' as const, enhanced: '5.0.0\u0000', reason: said, last: record };
    assert.deepEqual(await s.store.complete('n1', { updates: [update], attempt }, T0 + 1), {
      applied: [rid],
      skipped: [],
    });
    const detail = await s.store.show(m.id);
    assert.ok(detail !== undefined);
    const r = detail.recipients[0];
    assert.equal(
      r?.reason,
      '550 bad\ufffd \u001b[31mred\u001b[0m \ufffd "quoted" \\ back',
      'NUL and a lone surrogate become U+FFFD in the reason; the rest is kept',
    );
    assert.equal(r.enhanced, '5.0.0\ufffd');
    assert.deepEqual(r.last, record, 'JSON keeps everything, NUL and lone surrogate included');
    assert.deepEqual(detail.attempts, [attempt]);
  });

  test('complete skips recipients of a message deleted meanwhile, and drops its log entry', async (t) => {
    const s = await setUp(t, factory);
    if (s === undefined) return;
    const m = message({ to: ['a@example.org'] });
    await s.store.enqueue(m);
    const [rid] = ridsOf(await s.store.claim({ owner: 'n1', now: T0, leaseMs: 60_000, limit: 1 })) as [
      number,
    ];
    assert.equal(await s.store.delete(m.id), true);
    const attempt = {
      messageId: m.id,
      domain: 'example.org',
      at: T0,
      recipients: [],
      outcome: 'delivered',
      records: null,
      transcript: [],
    };
    const result = await s.store.complete(
      'n1',
      { updates: [{ rid, state: 'delivered', enhanced: '2.0.0', reason: 'ok', last: null }], attempt },
      T0 + 1,
    );
    assert.deepEqual(result, { applied: [], skipped: [rid] });
    assert.equal(await s.store.show(m.id), undefined);
  });
}
