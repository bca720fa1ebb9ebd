/**
 * TLSA owner names (RFC 6698 §3, RFC 7672 §2.2.3): `_<port>._tcp.<host>.` for the host the
 * client delivers to, on the port it connects to (25 for SMTP to an MX).
 * Pure: no I/O. Never builds a name from an invalid host or port.
 */
import { DaneError } from './types.ts';

/**
 * The TLSA owner name for `host` and `port`. RFC 6698 §3 (paraphrased): the port number in
 * decimal, prefixed with an underscore, is the leftmost label; the protocol name with an
 * underscore (`_tcp`) the second; the host name follows. Lower-case, absolute (trailing dot).
 * @throws DaneError (DANE_ERR_BAD_NAME) for an empty/invalid host or a port outside 1–65535.
 */
export function tlsaOwnerName(host: string, port = 25): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DaneError('DANE_ERR_BAD_NAME', `invalid TLSA port ${String(port)}`);
  }
  const h = (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();
  const labels = h.split('.');
  const bad =
    h.length === 0 ||
    h.length > 253 - `_${port}._tcp.`.length ||
    labels.some((l) => l.length === 0 || l.length > 63 || !/^[a-z0-9_-]+$/.test(l));
  if (bad)
    throw new DaneError('DANE_ERR_BAD_NAME', `invalid host name for a TLSA lookup: ${JSON.stringify(host)}`);
  return `_${port}._tcp.${h}.`;
}
