/** AAAA (RFC 3596 §2.2): one IPv6 address, printed in RFC 5952 canonical text. */
import { WireError } from '../errors.ts';
import { parseIPv4 } from './a.ts';
import type { RdataCodec } from './codec.ts';

export interface AaaaRdata {
  /** RFC 5952 text, e.g. `2001:db8::1`. */
  address: string;
}

/** Parse IPv6 text (with `::` and an optional embedded IPv4 tail) into 16 octets. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = toGroups(halves[0] as string);
  const tail = halves.length === 2 ? toGroups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** RFC 5952 §4 text of 16 octets: lower-case hex, longest zero run (≥ 2 groups) as `::`. */
export function formatIPv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] as number) << 8) | (b[i + 1] as number));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export const aaaaCodec: RdataCodec<AaaaRdata> = {
  type: 28,
  hasNames: false,
  compressible: false,
  decode(r) {
    return { address: formatIPv6(r.bytes(16, 'an IPv6 address')) };
  },
  encode(w, data) {
    const b = parseIPv6(data.address);
    if (b === undefined) throw new WireError('DNS_ERR_BAD_RDATA', `bad IPv6 address '${data.address}'`);
    w.bytes(b);
  },
  parse(t) {
    const text = t.text('IPv6 address');
    const b = parseIPv6(text);
    if (b === undefined) throw new WireError('DNS_ERR_BAD_TEXT', `bad IPv6 address '${text}'`);
    t.end('AAAA address');
    return { address: formatIPv6(b) };
  },
  format(data) {
    return data.address;
  },
};
