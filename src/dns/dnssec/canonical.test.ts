/** Canonical RR form and order and the RRSIG signed data (RFC 4034 §3.1.8.1, §6; RFC 6840 §5.1; RFC 4035 §5.3.2). */
import { assert, test } from '../../../test/helpers/test-kit.ts';
import { toHex } from '../../util/index.ts';
import { Name, parseRr, parseZone, type Rr, type RrsigRdata } from '../wire/index.ts';
import { canonicalRdata, canonicalRdataSet, signedData, signedOwner } from './canonical.ts';

function hexOf(text: string): string {
  return toHex(canonicalRdata(parseRr(text)));
}

/** Wire form of a name as hex (case as given). */
function nameHex(text: string): string {
  return toHex(Name.parse(text).toWire());
}

test('canonicalRdata lower-cases names only in the RFC 6840 §5.1 types', () => {
  const cases: { name: string; rr: string; want: string }[] = [
    { name: 'MX target', rr: 'x. 1 IN MX 10 Mail.EXAMPLE.', want: '000a' + nameHex('mail.example.') },
    { name: 'NS', rr: 'x. 1 IN NS NS1.Example.', want: nameHex('ns1.example.') },
    { name: 'CNAME', rr: 'x. 1 IN CNAME Target.Example.', want: nameHex('target.example.') },
    { name: 'DNAME', rr: 'x. 1 IN DNAME Target.Example.', want: nameHex('target.example.') },
    { name: 'PTR', rr: 'x. 1 IN PTR Host.Example.', want: nameHex('host.example.') },
    {
      name: 'SOA: both names, numbers untouched',
      rr: 'x. 1 IN SOA NS.Example. Admin.Example. 1 2 3 4 5',
      want: nameHex('ns.example.') + nameHex('admin.example.') + '0000000100000002000000030000000400000005',
    },
    {
      name: 'SRV target',
      rr: 'x. 1 IN SRV 1 2 25 MX.Example.',
      want: '000100020019' + nameHex('mx.example.'),
    },
    {
      name: 'NSEC next name keeps its case (RFC 6840 §5.1)',
      rr: 'x. 1 IN NSEC Next.EXAMPLE. A',
      want: nameHex('Next.EXAMPLE.') + '000140',
    },
    {
      name: 'HINFO holds no names: untouched',
      rr: 'x. 1 IN HINFO "Jelte" "Machine"',
      want: '054a656c7465074d616368696e65',
    },
    { name: 'TXT untouched', rr: 'x. 1 IN TXT "ABC"', want: '03414243' },
    { name: 'A untouched', rr: 'x. 1 IN A 192.0.2.65', want: 'c0000241' },
  ];
  for (const c of cases) assert.equal(hexOf(c.rr), c.want, c.name);
});

test('canonicalRdata lowers the RRSIG signer name but not the signature', () => {
  const rr = parseRr(
    'x. 1 IN RRSIG A 8 1 300 20300101000000 20000101000000 1 EXAMPLE. QUJD',
  ) as Rr<RrsigRdata>;
  const out = toHex(canonicalRdata(rr));
  assert.ok(out.includes(nameHex('example.')), 'signer lowered');
  assert.ok(out.endsWith('414243'), 'signature octets "ABC" untouched');
});

test('canonicalRdata walks raw rdata of types without a codec (PX, NAPTR, A6, RP, AFSDB)', () => {
  const px = '000a' + nameHex('A.B.') + nameHex('C.');
  const naptrRdata = '00140000' + '0153' + '075349502b443255' + '00' + nameHex('_SIP._UDP.EX.');
  const a6 = '40' + '0000000000000001' + nameHex('PREFIX.EX.');
  const cases: { name: string; type: number; rdata: string; want: string }[] = [
    { name: 'PX', type: 26, rdata: px, want: '000a' + nameHex('a.b.') + nameHex('c.') },
    {
      name: 'NAPTR: strings keep their case, the replacement name is lowered',
      type: 35,
      rdata: naptrRdata,
      want: '00140000' + '0153' + '075349502b443255' + '00' + nameHex('_sip._udp.ex.'),
    },
    {
      name: 'A6 with a prefix name',
      type: 38,
      rdata: a6,
      want: '40' + '0000000000000001' + nameHex('prefix.ex.'),
    },
    { name: 'A6 without prefix name', type: 38, rdata: '00' + '41'.repeat(16), want: '00' + '41'.repeat(16) },
    {
      name: 'RP',
      type: 17,
      rdata: nameHex('Mbox.EX.') + nameHex('Txt.EX.'),
      want: nameHex('mbox.ex.') + nameHex('txt.ex.'),
    },
    { name: 'AFSDB', type: 18, rdata: '0001' + nameHex('AFS.EX.'), want: '0001' + nameHex('afs.ex.') },
    { name: 'truncated PX is left as far as it parses', type: 26, rdata: '000a0341', want: '000a0341' },
    { name: 'short PX (unbound val_canon_short_px)', type: 26, rdata: '000a00', want: '000a00' },
  ];
  for (const c of cases) {
    const rr = parseZone(`x. 1 IN TYPE${c.type} \\# ${c.rdata.length / 2} ${c.rdata}`)[0] as Rr;
    assert.equal(toHex(canonicalRdata(rr)), c.want, c.name);
  }
});

test('canonicalRdataSet sorts as unsigned octet strings and drops duplicates (RFC 4034 §6.3)', () => {
  const rrs = parseZone(
    ['x. 1 IN TXT "ab"', 'x. 1 IN TXT "b"', 'x. 1 IN TXT "ab"', 'x. 1 IN TXT "a"'].join('\n'),
  );
  const out = canonicalRdataSet(rrs.map(canonicalRdata)).map(toHex);
  // length octet first: "a" (01 61) < "b" (01 62) < "ab" (02 61 62)
  assert.deepEqual(out, ['0161', '0162', '026162']);
});

test('signedOwner: wildcard reconstruction from the RRSIG Labels field (RFC 4035 §5.3.2)', () => {
  const cases: { owner: string; labels: number; want: string | undefined }[] = [
    { owner: 'a.example.com.', labels: 3, want: 'a.example.com.' },
    { owner: 'a.example.com.', labels: 2, want: '*.example.com.' },
    { owner: 'a.b.c.example.com.', labels: 2, want: '*.example.com.' },
    { owner: 'a.example.com.', labels: 1, want: '*.com.' },
    { owner: 'a.example.com.', labels: 0, want: '*.' },
    { owner: 'a.example.com.', labels: 4, want: undefined },
    { owner: '*.example.com.', labels: 2, want: '*.example.com.' }, // the "*" label is not counted
    { owner: '*.example.com.', labels: 3, want: undefined },
    { owner: '.', labels: 0, want: '.' },
  ];
  for (const c of cases)
    assert.equal(signedOwner(Name.parse(c.owner), c.labels)?.toString(), c.want, JSON.stringify(c));
});

const SIG: RrsigRdata = {
  typeCovered: 1,
  algorithm: 8,
  labels: 2,
  originalTtl: 3600,
  expiration: 0x70000000,
  inception: 0x60000000,
  keyTag: 0x1234,
  signerName: Name.parse('Example.COM.'),
  signature: Uint8Array.of(1, 2, 3),
};

test('signedData: RRSIG rdata without signature, then canonical RRs in order (RFC 4034 §3.1.8.1)', () => {
  const rrset = parseZone(
    [
      'Example.COM. 300 IN A 192.0.2.1',
      'example.com. 300 IN A 192.0.2.0',
      'EXAMPLE.com. 300 IN A 192.0.2.1',
    ].join('\n'),
  );
  const owner = nameHex('example.com.');
  const want =
    '0001' +
    '08' +
    '02' +
    '00000e10' +
    '70000000' +
    '60000000' +
    '1234' +
    owner +
    owner +
    '0001' +
    '0001' +
    '00000e10' +
    '0004' +
    'c0000200' +
    owner +
    '0001' +
    '0001' +
    '00000e10' +
    '0004' +
    'c0000201';
  assert.equal(toHex(signedData(rrset, SIG) ?? new Uint8Array()), want);
});

test('signedData uses the wildcard owner when Labels is smaller, and refuses Labels too large', () => {
  const rrset = parseZone('a.b.example.com. 60 IN A 192.0.2.9');
  const data = toHex(signedData(rrset, SIG) ?? new Uint8Array());
  assert.ok(data.includes(nameHex('*.example.com.') + '0001000100000e10'), 'owner *.example.com.');
  assert.equal(signedData(rrset, { ...SIG, labels: 5 }), undefined);
  assert.equal(signedData([], SIG), undefined);
});
