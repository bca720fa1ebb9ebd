/** NSEC3 proofs (RFC 5155 §8, Appendix B responses over the Appendix A chain; RFC 9276 limits). */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import { Name, parseZone, RRType, toBase32Hex, type Nsec3Rdata, type Rr } from '../wire/index.ts';
import { nsec3Chain, type ZoneSpec } from './denial-fixtures.ts';
import { nsec3Covers, nsec3Hash, nsec3Matches } from './nsec3.ts';
import {
  proveClosestEncloserNsec3,
  proveNoDsNsec3,
  proveNodataNsec3,
  proveNxdomainNsec3,
  proveWildcardAnswerNsec3,
} from './denial-nsec3.ts';
import { Ede } from './proof.ts';

/*
 * The NSEC3 chain of the RFC 5155 Appendix A zone "example." (salt aabbccdd, 12 iterations,
 * every record with the Opt-Out flag). Owners: 0p9m… example, 2t7b… ns1, 2vpt… x.y.w,
 * 35mt… a (secure delegation), b4um… x.w, gjeq… ai, ji6n… y.w (ENT), k8ud… w (ENT),
 * koha… 2t7b….example, q04j… ns2, r53b… *.w, t644… xx. c.example is an unsigned delegation
 * inside an Opt-Out span.
 */
function chain(flags: number, iterations = 12): Rr<Nsec3Rdata>[] {
  const p = `${flags} ${iterations} aabbccdd`;
  return parseZone(`
$ORIGIN example.
0p9mhaveqvm6t7vbl5lop2u3t2rp3tom 3600 IN NSEC3 1 ${p} 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG
2t7b4g4vsa5smi47k61mv5bv1a22bojr 3600 IN NSEC3 1 ${p} 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG
2vptu5timamqttgl4luu9kg21e0aor3s 3600 IN NSEC3 1 ${p} 35mthgpgcu1qg68fab165klnsnk3dpvl MX RRSIG
35mthgpgcu1qg68fab165klnsnk3dpvl 3600 IN NSEC3 1 ${p} b4um86eghhds6nea196smvmlo4ors995 NS DS RRSIG
b4um86eghhds6nea196smvmlo4ors995 3600 IN NSEC3 1 ${p} gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG
gjeqe526plbf1g8mklp59enfd789njgi 3600 IN NSEC3 1 ${p} ji6neoaepv8b5o6k4ev33abha8ht9fgc A HINFO AAAA RRSIG
ji6neoaepv8b5o6k4ev33abha8ht9fgc 3600 IN NSEC3 1 ${p} k8udemvp1j2f7eg6jebps17vp3n8i58h
k8udemvp1j2f7eg6jebps17vp3n8i58h 3600 IN NSEC3 1 ${p} kohar7mbb8dc2ce8a9qvl8hon4k53uhi
kohar7mbb8dc2ce8a9qvl8hon4k53uhi 3600 IN NSEC3 1 ${p} q04jkcevqvmu85r014c7dkba38o0ji5r A RRSIG
q04jkcevqvmu85r014c7dkba38o0ji5r 3600 IN NSEC3 1 ${p} r53bq7cc2uvmubfu5ocmm6pers9tk9en A RRSIG
r53bq7cc2uvmubfu5ocmm6pers9tk9en 3600 IN NSEC3 1 ${p} t644ebqk9bibcna874givr6joj62mlhv MX RRSIG
t644ebqk9bibcna874givr6joj62mlhv 3600 IN NSEC3 1 ${p} 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A HINFO AAAA RRSIG
`) as Rr<Nsec3Rdata>[];
}

const OPT_OUT = chain(1);
const PLAIN = chain(0);
const ZONE = Name.parse('example.');
const n = (s: string): Name => Name.parse(s);

function pick(set: Rr<Nsec3Rdata>[], ...prefixes: string[]): Rr<Nsec3Rdata>[] {
  return prefixes.map((p) => {
    const rr = set.find((r) => r.name.toString().startsWith(p));
    assert.ok(rr !== undefined, p);
    return rr;
  });
}

test('nsec3Hash: RFC 5155 Appendix A hashes', () => {
  const params = { salt: Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd), iterations: 12 };
  const want: Record<string, string> = {
    'example.': '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom',
    'a.example.': '35mthgpgcu1qg68fab165klnsnk3dpvl',
    'x.y.w.example.': '2vptu5timamqttgl4luu9kg21e0aor3s',
    '*.w.example.': 'r53bq7cc2uvmubfu5ocmm6pers9tk9en',
    'EXAMPLE.': '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom',
  };
  for (const [name, hash] of Object.entries(want))
    assert.equal(toBase32Hex(nsec3Hash(n(name), params)!), hash, name);
  assert.equal(nsec3Hash(n('example.'), { ...params, hashAlgorithm: 2 }), undefined);
});

test('the chain is complete: every name is matched or covered by exactly one NSEC3', () => {
  const names = [
    'example.',
    'a.example.',
    'c.example.',
    'mc.c.example.',
    'q.example.',
    'z.w.example.',
    'zz.x.y.w.example.',
    'www.example.',
    '0.example.',
    'ns3.example.',
  ];
  for (const name of names) {
    const hits = PLAIN.filter((rr) => nsec3Matches(rr, n(name)) || nsec3Covers(rr, n(name)));
    assert.equal(hits.length, 1, name);
  }
  // The last NSEC3 (t644…) wraps around to 0p9m…: H(f.example) = vh6o… and H(baz.example) = tjo0…
  // sort after t644…, so only the wrap-around covers them.
  const last = pick(PLAIN, 't644')[0]!;
  for (const x of ['f.example.', 'baz.example.']) {
    assert.equal(nsec3Covers(last, n(x)), true, x);
    assert.equal(PLAIN.filter((rr) => nsec3Covers(rr, n(x))).length, 1, x);
  }
  assert.equal(nsec3Covers(last, n('ns1.example.')), false);
  assert.equal(nsec3Covers(last, n('other.')), false, 'outside the zone');
  assert.equal(nsec3Matches(last, n('xx.example.'), ZONE), true);
  assert.equal(nsec3Matches(last, n('xx.example.'), n('org.')), false, 'wrong zone given');
});

test('RFC 5155 B.1 name error: insecure with Opt-Out, secure without', () => {
  // a.c.x.w.example: closest encloser x.w.example (b4um…), next closer c.x.w.example (35mt…), *.x.w.example (0p9m…)
  const qname = n('a.c.x.w.example.');
  const oo = proveNxdomainNsec3(qname, pick(OPT_OUT, 'b4um', '35mt', '0p9m'), ZONE);
  assert.equal(oo.status, 'insecure', oo.reason);
  assert.equal(oo.optOut, true);
  assert.equal(oo.closestEncloser?.toString(), 'x.w.example.');
  const plain = proveNxdomainNsec3(qname, pick(PLAIN, 'b4um', '35mt', '0p9m'), ZONE);
  assert.equal(plain.status, 'secure', plain.reason);
  // Dropping any one record breaks the proof (Unbound's _noce, _nonc, _nowc variants).
  for (const drop of ['b4um', '35mt', '0p9m']) {
    const rest = ['b4um', '35mt', '0p9m'].filter((x) => x !== drop);
    const p = proveNxdomainNsec3(qname, pick(PLAIN, ...rest), ZONE);
    assert.equal(p.status, 'bogus', `without ${drop}: ${p.reason}`);
  }
  // A name that exists cannot be NXDOMAIN.
  assert.equal(proveNxdomainNsec3(n('ai.example.'), PLAIN, ZONE).status, 'bogus');
});

test('RFC 5155 B.2 / B.2.1 NODATA and empty non-terminal NODATA: secure even with Opt-Out', () => {
  const b2 = proveNodataNsec3(n('ns1.example.'), RRType.MX, pick(OPT_OUT, '2t7b'), ZONE);
  assert.equal(b2.status, 'secure', b2.reason);
  const b21 = proveNodataNsec3(n('y.w.example.'), RRType.A, pick(OPT_OUT, 'ji6n'), ZONE);
  assert.equal(b21.status, 'secure', b21.reason);
  const hasType = proveNodataNsec3(n('ns1.example.'), RRType.A, pick(OPT_OUT, '2t7b'), ZONE);
  assert.equal(hasType.status, 'bogus');
  assert.equal(hasType.ede, Ede.DNSSEC_BOGUS);
  const wrong = proveNodataNsec3(n('y.w.example.'), RRType.A, pick(OPT_OUT, 'k8ud'), ZONE);
  assert.equal(wrong.status, 'bogus', 'wrong NSEC3 (Unbound b21_wr)');
});

test('RFC 5155 B.3 Opt-Out referral: no DS for c.example is insecure', () => {
  const p = proveNoDsNsec3(n('c.example.'), pick(OPT_OUT, '0p9m', '35mt'), ZONE);
  assert.equal(p.status, 'insecure', p.reason);
  assert.equal(p.optOut, true);
  const ds = proveNodataNsec3(n('c.example.'), RRType.DS, pick(OPT_OUT, '0p9m', '35mt'), ZONE);
  assert.equal(ds.status, 'insecure', ds.reason);
  const plainDs = proveNodataNsec3(n('c.example.'), RRType.DS, pick(PLAIN, '0p9m', '35mt'), ZONE);
  assert.equal(plainDs.status, 'bogus', 'without Opt-Out the NSEC3 proves the name does not exist at all');
  const noCe = proveNoDsNsec3(n('c.example.'), pick(OPT_OUT, '35mt'), ZONE);
  assert.equal(noCe.status, 'bogus', 'closest encloser missing (Unbound b3_optout_noce)');
  const secureDeleg = proveNoDsNsec3(n('a.example.'), pick(OPT_OUT, '35mt'), ZONE);
  assert.equal(secureDeleg.status, 'bogus', 'a.example has a DS');
  const noCut = proveNoDsNsec3(n('ai.example.'), pick(OPT_OUT, 'gjeq'), ZONE);
  assert.equal(noCut.status, 'secure');
  assert.equal(noCut.zoneCut, false);
});

test('RFC 5155 B.4 wildcard answer: next closer covered; Opt-Out makes it insecure', () => {
  const qname = n('a.z.w.example.');
  const wc = n('*.w.example.');
  const oo = proveWildcardAnswerNsec3(qname, wc, pick(OPT_OUT, 'q04j'), ZONE);
  assert.equal(oo.status, 'insecure', oo.reason);
  const plain = proveWildcardAnswerNsec3(qname, wc, pick(PLAIN, 'q04j'), ZONE);
  assert.equal(plain.status, 'secure', plain.reason);
  assert.equal(plain.closestEncloser?.toString(), 'w.example.');
  const wrong = proveWildcardAnswerNsec3(qname, wc, pick(PLAIN, 'r53b'), ZONE);
  assert.equal(wrong.status, 'bogus', 'Unbound b4_wild_wr');
  assert.equal(
    proveWildcardAnswerNsec3(qname, n('w.example.'), PLAIN, ZONE).status,
    'bogus',
    'not a wildcard',
  );
});

test('RFC 5155 B.5 wildcard NODATA', () => {
  const qname = n('a.z.w.example.');
  const oo = proveNodataNsec3(qname, RRType.AAAA, pick(OPT_OUT, 'k8ud', 'q04j', 'r53b'), ZONE);
  assert.equal(oo.status, 'insecure', oo.reason);
  const plain = proveNodataNsec3(qname, RRType.AAAA, pick(PLAIN, 'k8ud', 'q04j', 'r53b'), ZONE);
  assert.equal(plain.status, 'secure', plain.reason);
  assert.equal(plain.closestEncloser?.toString(), 'w.example.');
  const mx = proveNodataNsec3(qname, RRType.MX, pick(PLAIN, 'k8ud', 'q04j', 'r53b'), ZONE);
  assert.equal(mx.status, 'bogus', 'the wildcard has MX');
  for (const drop of ['k8ud', 'q04j']) {
    const rest = ['k8ud', 'q04j', 'r53b'].filter((x) => x !== drop);
    assert.equal(
      proveNodataNsec3(qname, RRType.AAAA, pick(PLAIN, ...rest), ZONE).status,
      'bogus',
      `without ${drop}`,
    );
  }
  // Without the wildcard's NSEC3 and without Opt-Out nothing proves NODATA (Unbound b5_nowc is insecure only thanks to Opt-Out).
  assert.equal(proveNodataNsec3(qname, RRType.AAAA, pick(PLAIN, 'k8ud', 'q04j'), ZONE).status, 'bogus');
  assert.equal(proveNodataNsec3(qname, RRType.AAAA, pick(OPT_OUT, 'k8ud', 'q04j'), ZONE).status, 'insecure');
});

test('closest encloser proof: delegations and DNAME are not closest enclosers', () => {
  const ce = proveClosestEncloserNsec3(n('a.c.x.w.example.'), PLAIN, ZONE);
  assert.equal(ce.status, 'secure');
  assert.equal(ce.closestEncloser?.toString(), 'x.w.example.');
  assert.equal(ce.nextCloser?.toString(), 'c.x.w.example.');
  const belowDeleg = proveNxdomainNsec3(n('x.a.example.'), PLAIN, ZONE);
  assert.equal(belowDeleg.status, 'bogus', 'a.example is a signed delegation: should have been a referral');
  const itself = proveClosestEncloserNsec3(n('ai.example.'), PLAIN, ZONE);
  assert.equal(itself.status, 'secure');
  assert.equal(itself.closestEncloser?.toString(), 'ai.example.');
});

test('RFC 9276 iteration limits: insecure above insecureAbove at any count, as Unbound and BIND (EDE 27)', () => {
  const qname = n('a.c.x.w.example.');
  const cases: {
    iterations: number;
    limits?: { insecureAbove?: number };
    status: string;
  }[] = [
    { iterations: 12, status: 'secure' },
    { iterations: 150, status: 'bogus' }, // at the limit: hashes are computed (and do not match these owners)
    { iterations: 151, status: 'insecure' },
    { iterations: 500, status: 'insecure' },
    { iterations: 501, status: 'insecure' },
    { iterations: 65535, status: 'insecure' },
    { iterations: 12, limits: { insecureAbove: 0 }, status: 'insecure' },
  ];
  for (const c of cases) {
    const p = proveNxdomainNsec3(qname, pick(chain(0, c.iterations), 'b4um', '35mt', '0p9m'), ZONE, c.limits);
    assert.equal(p.status, c.status, `${c.iterations} ${JSON.stringify(c.limits)}: ${p.reason}`);
    const overLimit = c.iterations > 150 || c.limits !== undefined;
    if (overLimit) assert.equal(p.ede, Ede.UNSUPPORTED_NSEC3_ITERATIONS);
    // Only the denials that are insecure because of their iterations say so.
    assert.equal(p.insecureKind, overLimit ? 'nsec3-iterations' : undefined);
  }
});

test('unknown hash algorithms and flags are ignored (RFC 5155 §8.1, §8.2)', () => {
  const odd = parseZone(`
b4um86eghhds6nea196smvmlo4ors995.example. 1 IN NSEC3 2 0 12 aabbccdd gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG
35mthgpgcu1qg68fab165klnsnk3dpvl.example. 1 IN NSEC3 1 2 12 aabbccdd b4um86eghhds6nea196smvmlo4ors995 NS DS RRSIG
`) as Rr<Nsec3Rdata>[];
  assert.equal(nsec3Matches(odd[0]!, n('x.w.example.')), false, 'hash algorithm 2');
  assert.equal(nsec3Covers(odd[1]!, n('c.x.w.example.')), false, 'flags 2');
  const p = proveNxdomainNsec3(n('a.c.x.w.example.'), odd, ZONE);
  assert.equal(p.status, 'bogus');
  assert.equal(p.ede, Ede.NSEC_MISSING);
});

test('without an explicit zone the closest NSEC3 zone above qname is used', () => {
  const p = proveNodataNsec3(n('ns1.example.'), RRType.MX, pick(PLAIN, '2t7b'));
  assert.equal(p.status, 'secure', p.reason);
});

/*
 * RFC 5155 §8.2: "A validator MAY treat a response as bogus if the response contains NSEC3 RRs
 * that contain different values for hash algorithm, iterations, or salt from each other for
 * that zone." We try each parameter set on its own (a zone in a parameter rollover may serve
 * both chains) and never combine records of different sets into one proof.
 */
const PARAM_ZONE: ZoneSpec = {
  apex: 'example.',
  names: { 'example.': 'SOA NS DNSKEY', 'a.example.': 'A', '*.w.example.': 'TXT', 'x.w.example.': 'MX' },
};
const SET_A = nsec3Chain(PARAM_ZONE, { salt: 'aabb', iterations: 1 });
const SET_B = nsec3Chain(PARAM_ZONE, { salt: 'beef', iterations: 2 });

/** The record of `set` matching (`=name`) or covering (`~name`) a name. */
function rec(set: Rr<Nsec3Rdata>[], spec: string): Rr<Nsec3Rdata> {
  const name = n(spec.slice(1));
  const hit = set.find((rr) => (spec.startsWith('=') ? nsec3Matches(rr, name) : nsec3Covers(rr, name)));
  assert.ok(hit !== undefined, spec);
  return hit;
}

/**
 * The NXDOMAIN name: one not covered by the apex NSEC3 of either set, so that in a mixed proof
 * (apex from A, covers from B) neither set alone is complete — hash spans are wide in a
 * five-name zone, so this is checked rather than assumed.
 */
function nxName(): Name {
  const q = ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k']
    .map((l) => n(`${l}.example.`))
    .find((x) => [SET_A, SET_B].every((set) => !nsec3Covers(rec(set, '=example.'), x)));
  assert.ok(q !== undefined, 'no name outside both apex spans');
  return q;
}
const NX = nxName();

/** NXDOMAIN NX: closest encloser example., next closer NX, wildcard *.example. */
function nxProof(ce: Rr<Nsec3Rdata>[], rest: Rr<Nsec3Rdata>[]): Rr<Nsec3Rdata>[] {
  return [rec(ce, '=example.'), rec(rest, `~${NX.toString()}`), rec(rest, '~*.example.')];
}

test('NSEC3 parameter sets: each set proves on its own, sets never mix (RFC 5155 §8.2)', () => {
  const overLimit = nsec3Chain(PARAM_ZONE, { salt: 'eeff', iterations: 501 });
  const third = nsec3Chain(PARAM_ZONE, { salt: '01', iterations: 0 });
  const fourth = nsec3Chain(PARAM_ZONE, { salt: '02', iterations: 0 });
  const cases: {
    name: string;
    records: Rr<Nsec3Rdata>[];
    opts?: { maxParamSets?: number };
    want: { status: string; ede?: number };
  }[] = [
    { name: 'set A alone', records: nxProof(SET_A, SET_A), want: { status: 'secure' } },
    { name: 'set B alone', records: nxProof(SET_B, SET_B), want: { status: 'secure' } },
    {
      name: 'closest encloser from A, the covers from B',
      records: nxProof(SET_A, SET_B),
      want: { status: 'bogus', ede: Ede.NSEC_MISSING },
    },
    {
      name: 'A partial, B complete',
      records: [rec(SET_A, '=example.'), ...nxProof(SET_B, SET_B)],
      want: { status: 'secure' },
    },
    {
      name: 'a set over the iteration limit does not spoil a good one',
      records: [...nxProof(overLimit, overLimit), ...nxProof(SET_B, SET_B)],
      want: { status: 'secure' },
    },
    {
      // Insecure (unproven) at any count above the limit, as Unbound and BIND answer.
      name: 'only the set over the limit',
      records: nxProof(overLimit, overLimit),
      want: { status: 'insecure', ede: Ede.UNSUPPORTED_NSEC3_ITERATIONS },
    },
    {
      name: 'four sets are more than are tried',
      records: [SET_A, SET_B, third, fourth].flatMap((s) => nxProof(s, s)),
      want: { status: 'bogus', ede: Ede.DNSSEC_BOGUS },
    },
    {
      name: 'three sets are tried',
      records: [SET_A, third, fourth].flatMap((s) => nxProof(s, s)),
      want: { status: 'secure' },
    },
    {
      name: 'maxParamSets 1 with two sets',
      records: [...nxProof(SET_A, SET_A), ...nxProof(SET_B, SET_B)],
      opts: { maxParamSets: 1 },
      want: { status: 'bogus', ede: Ede.DNSSEC_BOGUS },
    },
  ];
  assert.equal(nsec3Covers(rec(SET_B, '=example.'), n('*.example.')), false, 'precondition');
  for (const c of cases) {
    const p = proveNxdomainNsec3(NX, c.records, ZONE, c.opts);
    assert.equal(p.status, c.want.status, `${c.name}: ${p.reason}`);
    if (c.want.ede !== undefined) assert.equal(p.ede, c.want.ede, c.name);
  }
});

test('NSEC3 parameter sets: wildcard NODATA and wildcard answers do not mix sets either', () => {
  // y.w.example. A: closest encloser w.example. (an ENT), next closer y.w.example., wildcard *.w.example.
  const q = n('y.w.example.');
  const proof = (ce: Rr<Nsec3Rdata>[], nc: Rr<Nsec3Rdata>[], wc: Rr<Nsec3Rdata>[]): Rr<Nsec3Rdata>[] => [
    rec(ce, '=w.example.'),
    rec(nc, '~y.w.example.'),
    rec(wc, '=*.w.example.'),
  ];
  // Preconditions: set A alone lacks the next closer cover in the first mix and the wildcard
  // match in the second.
  for (const a of [rec(SET_A, '=w.example.'), rec(SET_A, '=*.w.example.')])
    assert.equal(nsec3Covers(a, q), false, a.name.toString());
  assert.notEqual(rec(SET_A, '~y.w.example.'), rec(SET_A, '=*.w.example.'));
  const cases: { name: string; records: Rr<Nsec3Rdata>[]; want: string }[] = [
    { name: 'one set', records: proof(SET_A, SET_A, SET_A), want: 'secure' },
    { name: 'next closer from B', records: proof(SET_A, SET_B, SET_A), want: 'bogus' },
    { name: 'wildcard from B', records: proof(SET_A, SET_A, SET_B), want: 'bogus' },
  ];
  for (const c of cases) {
    const p = proveNodataNsec3(q, RRType.A, c.records, ZONE);
    assert.equal(p.status, c.want, `${c.name}: ${p.reason}`);
  }
  const wc = n('*.w.example.');
  assert.equal(proveWildcardAnswerNsec3(q, wc, [rec(SET_B, '~y.w.example.')], ZONE).status, 'secure');
  const ce = proveClosestEncloserNsec3(q, [rec(SET_A, '=w.example.'), rec(SET_B, '~y.w.example.')], ZONE);
  assert.equal(ce.status, 'bogus', `closest encloser across sets: ${ce.reason}`);
});
