/**
 * Destination names and addresses: IDNA conversion to A-labels (smtp/protocol's domainToAscii),
 * the envelope address as it goes on the wire (RFC 6531 §3.2), duplicate MX hosts, and one-line
 * transcript text. No I/O.
 */
import { Name } from '../dns/wire/index.ts';
import { domainToAscii, isAscii, parseMailbox, withAsciiDomain } from '../smtp/protocol/index.ts';

/**
 * The address as it goes on the wire: a non-ASCII domain in A-labels when the local part is
 * ASCII, so the message needs no SMTPUTF8 (RFC 6531 §3.2: SMTPUTF8 only for what cannot be ASCII;
 * RFC 5890: A-labels are the domain's ASCII form). Anything else is sent as written.
 */
export function wireAddress(address: string): string {
  try {
    const box = parseMailbox(address);
    if (box.ascii || box.domainKind !== 'name' || !isAscii(box.localPart)) return address;
    return withAsciiDomain(box, (d) => toALabels(d)?.toString().replace(/\.$/, '') ?? '');
  } catch {
    return address;
  }
}

/**
 * A transcript line is one line: control characters (and U+2028/9) from anything a peer or a
 * zone controlled become `?`, so nothing can forge a line such as "DANE: validated successfully".
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

/** IDNA: the domain in A-labels (smtp/protocol's domainToAscii) as a DNS name, or undefined. */
export function toALabels(domain: string): Name | undefined {
  const ascii = domainToAscii(domain);
  if (ascii === undefined) return undefined;
  try {
    return Name.parse(`${ascii}.`);
  } catch {
    return undefined;
  }
}

/** The same host listed twice is tried once, at its best preference. */
export function uniqueHosts(
  hosts: readonly { name: Name; preference: number }[],
): { name: Name; preference: number }[] {
  const best = new Map<string, { name: Name; preference: number }>();
  for (const h of hosts) {
    const seen = best.get(h.name.key());
    if (seen === undefined || h.preference < seen.preference) best.set(h.name.key(), h);
  }
  return [...best.values()];
}
