/** Upstreams: ForwardingUpstream's query flags, SharedUpstream's sharing, trust anchors, root hints, budget. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../util/index.ts';
import { Name, parseZone, RRType, type Message } from '../wire/index.ts';
import { TrustAnchors } from './anchors.ts';
import { Budget, BudgetExceeded, DEFAULT_LIMITS } from './budget.ts';
import { rootHintsFromRecords } from './root-hints.ts';
import { ForwardingUpstream, SharedUpstream, type DnsExchange, type FetchContext } from './upstream.ts';

const ctx = (): FetchContext => ({ budget: new Budget(DEFAULT_LIMITS) });

function recording(): { net: DnsExchange; sent: Message[] } {
  const sent: Message[] = [];
  return {
    sent,
    net: {
      exchange: (query, servers) => {
        sent.push(query);
        return Promise.resolve({
          ok: true,
          message: { ...query, flags: { ...query.flags, qr: true } },
          server: servers[0] ?? { address: '', port: 0 },
        });
      },
    },
  };
}

test('ForwardingUpstream sends RD+DO, and CD only in mode validate', async () => {
  for (const cd of [true, false]) {
    const { net, sent } = recording();
    const up = new ForwardingUpstream([{ address: '127.0.0.1', port: 5353 }], net, {
      random: seededRandom(1),
      checkingDisabled: cd,
    });
    const res = await up.fetch(Name.parse('example.'), RRType.MX, ctx());
    assert.equal(res.ok, true);
    const q = sent[0];
    assert.deepEqual([q?.flags.rd, q?.flags.cd, q?.edns?.do], [true, cd, true]);
    assert.match(up.description, cd ? /^validate via 127\.0\.0\.1:5353/ : /^trust-ad via/);
  }
});

test('SharedUpstream sends one exchange for concurrent identical fetches', async () => {
  const { net, sent } = recording();
  const up = new SharedUpstream(
    new ForwardingUpstream([{ address: '127.0.0.1', port: 53 }], net, {
      random: seededRandom(1),
      checkingDisabled: true,
    }),
  );
  await Promise.all([1, 2, 3].map(() => up.fetch(Name.parse('example.'), RRType.DNSKEY, ctx())));
  await up.fetch(Name.parse('example.'), RRType.DS, ctx());
  assert.equal(sent.length, 2);
});

test('TrustAnchors: the closest anchor above a name; negative anchors (RFC 7646)', () => {
  const rrs = parseZone(`. 60 IN DS 1 8 2 ${'aa'.repeat(32)}
example. 60 IN DNSKEY 257 3 13 ${Buffer.alloc(64, 1).toString('base64')}`);
  const a = new TrustAnchors(rrs, { negative: [Name.parse('lab.example.')] });
  assert.equal(a.closest(Name.parse('www.example.'))?.zone.toString(), 'example.');
  assert.equal(a.closest(Name.parse('www.other.'))?.zone.toString(), '.');
  assert.equal(a.closest(Name.parse('x.lab.example.'))?.negative, true);
  assert.equal(a.size, 3);
  assert.equal(new TrustAnchors([]).closest(Name.parse('x.')), undefined);
});

test('root hints from a zone file; none with an address is an error', () => {
  const ok = rootHintsFromRecords(
    parseZone('. 60 IN NS a.root.\na.root. 60 IN A 127.0.0.1\n. 60 IN NS b.root.'),
  );
  assert.ok('hints' in ok);
  assert.deepEqual(
    ok.hints.map((h) => [h.name.toString(), h.addresses]),
    [['a.root.', ['127.0.0.1']]],
  );
  assert.ok('error' in rootHintsFromRecords(parseZone('. 60 IN NS a.root.')));
});

test('Budget throws BudgetExceeded past each cap', () => {
  const b = new Budget({ ...DEFAULT_LIMITS, maxQueries: 2, maxSignatureChecks: 3, maxAliases: 1 });
  b.spendQuery();
  b.spendQuery();
  assert.throws(() => {
    b.spendQuery();
  }, BudgetExceeded);
  b.spendSignatures(3);
  assert.equal(b.signaturesLeft, 0);
  assert.throws(() => {
    b.spendSignatures(1);
  }, /more than 3 signature checks/);
  b.spendAlias();
  assert.throws(() => {
    b.spendAlias();
  }, /alias chain longer than 1/);
});
