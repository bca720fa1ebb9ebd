/**
 * IDNA for destinations: a domain (U-labels or A-labels, any case, optional trailing dot) in
 * lower-case A-labels (UTS #46 processing through the WHATWG URL host parser, a global of the
 * JavaScript runtime — no node: import). Shared by intake (the destination key of a recipient)
 * and delivery (the name whose MX records are looked up). RFC 5890 §2.3.2.1 (A-label),
 * RFC 6531 §3.2 (ASCII forms of domains). Pure.
 * Must never: turn a digit-only name into an IPv4 address, or accept characters a DNS name
 * cannot hold.
 */

/**
 * The domain in lower-case A-labels without a trailing dot, or undefined when it is not a
 * valid domain name (`bücher.example` → `xn--bcher-kva.example`).
 */
export function domainToAscii(domain: string): string | undefined {
  const text = domain.replace(/\.$/, '');
  // Characters the URL parser would read as a path, port, user or escape are no part of a name.
  if (/[\s/?#@:[\]\\%]/.test(text)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${text}/`).hostname;
  } catch {
    return undefined;
  }
  // The URL parser turns digit-only names into IPv4 addresses ("123" → "0.0.0.123"): refuse that.
  if (/^[\d.]+$/.test(host) && host !== text) return undefined;
  if (host.length === 0 || host.length > 253 || !/^[a-z0-9._-]+$/i.test(host)) return undefined;
  // RFC 1035 §2.3.4: labels are 1 to 63 octets.
  if (host.split('.').some((label) => label.length === 0 || label.length > 63)) return undefined;
  return host.toLowerCase();
}

/**
 * The destination key of a mailbox (`parseMailbox` result): its domain in lower-case A-labels,
 * or the address literal with its brackets (`[192.0.2.1]`, `[IPv6:2001:db8::1]`, lower case);
 * undefined for a general literal or a domain with no A-label form. Recipients with the same
 * key go out together (queue, delivery, DSNs).
 */
export function destinationKey(box: {
  domain: string;
  domainKind: 'name' | 'ipv4' | 'ipv6' | 'general';
  literal?: string;
}): string | undefined {
  if (box.domainKind === 'ipv4') return `[${box.literal ?? ''}]`;
  if (box.domainKind === 'ipv6') return `[IPv6:${(box.literal ?? '').toLowerCase()}]`;
  if (box.domainKind === 'general') return undefined;
  return domainToAscii(box.domain);
}
