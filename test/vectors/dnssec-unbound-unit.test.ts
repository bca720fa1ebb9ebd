/**
 * Unbound's validator unit data (testdata/test_sigs.*, test_signatures.*, test_ds.*,
 * test_nsec3_hash.1; driver testcode/unitverify.c) against our DNSSEC primitives, each file at
 * the fixed "now" of ../../shared/vectors/README.md §2b. The first entry's ANSWER is the DNSKEY
 * set; every RRset of the later entries must be bogus when it has no RRSIG or its owner's or the
 * question's first label is `bogus`, secure otherwise. Deviations: ./deviations.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dsMatchesKey, nsec3Hash, verifyRrsetAny } from '../../src/dns/dnssec/index.ts';
import {
  decodeMessage,
  encodeMessage,
  isType,
  Rcode,
  RRType,
  toBase32Hex,
  type DnskeyRdata,
  type DsRdata,
  type Nsec3Rdata,
  type Rr,
  type RrsigRdata,
} from '../../src/dns/wire/index.ts';
import { parseDnsTimestamp } from '../../src/util/index.ts';
import { Tally, type Outcome } from './deviations.ts';
import {
  configValues,
  entryFlags,
  entryRcode,
  entryToMessage,
  parseEntries,
  parseRpl,
  typeNumber,
  type TestEntry,
} from './unbound-testdata.ts';
import { vectorPath } from '../helpers/vectors.ts';

const DIR = `file://${vectorPath('unbound-testdata')}/`;

/** README §2b: the fixed "now" of each signature file (YYYYMMDDHHMMSS, UTC). */
const SIG_FILES: Readonly<Record<string, string>> = {
  'test_signatures.1': '20070818005004',
  'test_signatures.2': '20080414005004',
  'test_signatures.3': '20080416005004',
  'test_signatures.4': '20080416005004',
  'test_signatures.5': '20080416005004',
  'test_signatures.6': '20080416005004',
  'test_signatures.7': '20070829144150',
  'test_signatures.8': '20070829144150',
  'test_signatures.9': '20171215000000',
  'test_sigs.rsasha256': '20070829144150',
  'test_sigs.sha1_and_256': '20070829144150',
  'test_sigs.rsasha256_draft': '20090101000000',
  'test_sigs.rsasha512_draft': '20070829144150',
  'test_sigs.hinfo': '20090107100022',
  'test_sigs.revoked': '20080414005004',
  'test_sigs.gost': '20090807060504',
  'test_sigs.ecdsa_p256': '20100908100439',
  'test_sigs.ecdsa_p384': '20100908100439',
  'test_sigs.ed25519': '20170530140439',
  'test_sigs.ed448': '20180408143630',
};

function read(file: string): TestEntry[] {
  return parseEntries(readFileSync(new URL(file, DIR), 'utf8'));
}

interface Group {
  section: string;
  rrs: Rr[];
  sigs: Rr<RrsigRdata>[];
}

/** Split an entry into RRsets per section, RRSIGs attached to the RRset they cover. */
function rrsets(entry: TestEntry): Group[] {
  const out: Group[] = [];
  for (const section of ['answer', 'authority', 'additional'] as const) {
    const groups = new Map<string, Group>();
    const sigs: Rr<RrsigRdata>[] = [];
    for (const rr of entry[section]) {
      if (isType(rr, RRType.RRSIG)) {
        sigs.push(rr);
        continue;
      }
      const key = `${rr.name.key()}/${rr.type}/${rr.class}`;
      let g = groups.get(key);
      if (g === undefined) {
        g = { section, rrs: [], sigs: [] };
        groups.set(key, g);
      }
      g.rrs.push(rr);
    }
    for (const s of sigs) {
      const g = groups.get(`${s.name.key()}/${s.data.typeCovered}/${s.class}`);
      if (g !== undefined) g.sigs.push(s);
      else groups.set(`${s.name.key()}/sig/${groups.size}`, { section, rrs: [s], sigs: [] });
    }
    out.push(...groups.values());
  }
  return out;
}

function firstLabel(name: { labels: readonly Uint8Array[] }): string {
  const l = name.labels[0];
  return l === undefined ? '' : Buffer.from(l).toString('latin1');
}

function sigFile(file: string, tally: Tally): void {
  const now = parseDnsTimestamp(SIG_FILES[file] as string) as number;
  const [keyEntry, ...entries] = read(file);
  assert.ok(keyEntry !== undefined, `${file} has entries`);
  const keys = keyEntry.answer.filter((rr): rr is Rr<DnskeyRdata> => isType(rr, RRType.DNSKEY));
  assert.ok(keys.length > 0, `${file}: first entry holds DNSKEYs`);
  entries.forEach((entry, i) => {
    const qname = entry.question[0]?.name;
    for (const g of rrsets(entry)) {
      const owner = (g.rrs[0] as Rr).name;
      const want: Outcome =
        g.sigs.length === 0 ||
        firstLabel(owner) === 'bogus' ||
        (qname !== undefined && firstLabel(qname) === 'bogus')
          ? 'bogus'
          : 'secure';
      const v = g.sigs.length === 0 ? undefined : verifyRrsetAny(g.rrs, g.sigs, keys, { now });
      const got: Outcome =
        v === undefined || !v.ok ? (v?.unsupported === true ? 'unsupported' : 'bogus') : 'secure';
      const id = `${file}#${i + 1}:${owner.toString()}/${g.rrs[0]?.type ?? 0}/${g.section}`;
      tally.check('unbound-unit', id, want, got, v !== undefined && !v.ok ? v.reason : '');
    }
  });
}

test('Unbound test_sigs.* and test_signatures.*: RRset signatures at fixed times', () => {
  const tally = new Tally('unbound test_sigs/test_signatures');
  for (const file of Object.keys(SIG_FILES)) sigFile(file, tally);
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
  assert.ok(tally.ran >= 50, `ran ${tally.ran} RRset checks`);
});

test('Unbound test_ds.sha1 / test_ds.sha384: DS digests against DNSKEYs', () => {
  const tally = new Tally('unbound test_ds');
  for (const file of ['test_ds.sha1', 'test_ds.sha384']) {
    read(file).forEach((entry, i) => {
      const ds = entry.answer.find((rr): rr is Rr<DsRdata> => isType(rr, RRType.DS));
      const key = entry.answer.find((rr): rr is Rr<DnskeyRdata> => isType(rr, RRType.DNSKEY));
      assert.ok(ds !== undefined && key !== undefined, `${file} entry ${i + 1} has a DS and a DNSKEY`);
      const want: Outcome =
        firstLabel(entry.question[0]?.name ?? { labels: [] }) === 'yes' ? 'match' : 'no-match';
      const m = dsMatchesKey(ds.data, key.name, key.data);
      tally.check('unbound-unit', `${file}#${i + 1}`, want, m === true ? 'match' : 'no-match', String(m));
    });
  }
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
  assert.equal(tally.ran, 7);
});

test('Unbound test_nsec3_hash.1: NSEC3 hashes', () => {
  const tally = new Tally('unbound test_nsec3_hash');
  read('test_nsec3_hash.1').forEach((entry, i) => {
    const q = entry.question[0];
    const want = entry.answer[0];
    const params = entry.authority.find((rr): rr is Rr<Nsec3Rdata> => isType(rr, RRType.NSEC3));
    assert.ok(q !== undefined && want !== undefined && params !== undefined, `entry ${i + 1} is complete`);
    const h = nsec3Hash(q.name, params.data);
    const got = h === undefined ? '' : toBase32Hex(h);
    const ok = got === firstLabel(want.name);
    tally.check('unbound-unit', `test_nsec3_hash.1#${i + 1}`, 'match', ok ? 'match' : 'no-match', got);
  });
  console.log(tally.report());
  assert.deepEqual(tally.failures, []);
  assert.equal(tally.ran, 16);
});

test('timestamps of the table parse', () => {
  for (const t of Object.values(SIG_FILES)) assert.ok(parseDnsTimestamp(t) !== undefined);
});

interface IndexEntry {
  file: string;
  title: string;
  config: Record<string, string[]>;
  checks: { qname: string; qtype: string; rcode: string; AD: boolean; CD: boolean }[];
}

test('the .rpl reader agrees with INDEX.val_rpl.json on all 162 replay scenarios', () => {
  const index = JSON.parse(readFileSync(new URL('INDEX.val_rpl.json', DIR), 'utf8')) as IndexEntry[];
  let checks = 0;
  let entries = 0;
  for (const want of index) {
    const sc = parseRpl(readFileSync(new URL(want.file, DIR), 'utf8'));
    assert.equal(sc.title, want.title, want.file);
    for (const key of ['trust-anchor', 'val-override-date', 'fake-sha1']) {
      assert.deepEqual(configValues(sc, key), want.config[key] ?? [], `${want.file} ${key}`);
    }
    const got = sc.steps.filter((s) => s.kind === 'CHECK_ANSWER').map((s) => s.entry as TestEntry);
    assert.equal(got.length, want.checks.length, `${want.file}: CHECK_ANSWER steps`);
    got.forEach((e, i) => {
      const w = want.checks[i]!;
      const q = e.question[0];
      assert.ok(q !== undefined, `${want.file} check ${i + 1} has a question`);
      assert.equal(q.name.toString().toLowerCase(), w.qname.toLowerCase(), `${want.file} qname`);
      assert.equal(q.type, typeNumber(w.qtype), `${want.file} qtype`);
      assert.equal(entryRcode(e), (Rcode as Record<string, number>)[w.rcode], `${want.file} rcode`);
      assert.equal(entryFlags(e).flags.ad, w.AD, `${want.file} AD`);
      checks++;
    });
    for (const r of sc.ranges) {
      assert.ok(r.addresses.length > 0 && r.start <= r.end, `${want.file}: range ${r.start}-${r.end}`);
      for (const e of r.entries) {
        // Every canned answer must survive our wire encoder and decoder; the one deliberately
        // malformed record (a 5-octet A in val_scrub_rr_length) must be refused by the decoder.
        const bytes = encodeMessage(entryToMessage(e, 1));
        if (
          want.file === 'val_scrub_rr_length.rpl' &&
          e.answer.some((rr) => rr.type === 1 && rr.rdata.length !== 4)
        ) {
          assert.throws(() => decodeMessage(bytes), /unused octets/);
        } else {
          const back = decodeMessage(bytes);
          assert.equal(back.answers.length, e.answer.length, `${want.file}:${e.line}`);
          assert.equal(back.authorities.length, e.authority.length, `${want.file}:${e.line}`);
        }
        entries++;
      }
    }
  }
  console.log(
    `unbound .rpl reader: ${index.length} scenarios, ${checks} CHECK_ANSWER steps, ${entries} canned answers`,
  );
  assert.equal(index.length, 162);
  assert.equal(checks, 262);
});
