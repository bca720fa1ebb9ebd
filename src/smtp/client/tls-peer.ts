/**
 * The facts about a TLS peer after the STARTTLS handshake: protocol, cipher, SNI sent, the
 * certificate chain as DER (leaf first) and Node's own PKIX verdict, for a caller's
 * verifyPeer (DANE, PKIX or nothing) to judge.
 * RFC 6066 §3 (SNI host names), RFC 7672 §2.2.2 / §3 (the client judges the presented chain).
 * Must never: decide whether the peer is acceptable; follow an issuer loop.
 */
import net from 'node:net';
import type tls from 'node:tls';

/** Facts about the TLS peer, for a caller's verifyPeer callback. */
export interface PeerInfo {
  /** Negotiated protocol (`TLSv1.3`). */
  protocol: string;
  /** Negotiated cipher suite (OpenSSL name). */
  cipher: string;
  /** The SNI name sent, if any. */
  servername?: string;
  /**
   * Peer certificates as DER, leaf first, in issuer order as Node reports them
   * (getPeerCertificate(true)). With trustStore 'system' Node may append the issuer of the last
   * certificate from its trust store when the peer did not send it; with 'none' this is
   * exactly the chain the peer sent.
   */
  chain: Uint8Array[];
  /** Node's own PKIX verdict (chain to a trusted root and host-name check). */
  authorized: boolean;
  /** Node's/OpenSSL's error code when not authorized (`DEPTH_ZERO_SELF_SIGNED_CERT`, …). */
  authorizationError?: string;
}

/** Longest certificate chain followed. */
const MAX_CHAIN = 16;

/** The SNI name to send: undefined for none, an IP literal or ''; without a trailing dot. */
export function sniName(servername: string | undefined): string | undefined {
  /* RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in "HostName"." */
  if (servername === undefined || servername === '' || net.isIP(servername) !== 0) return undefined;
  return servername.endsWith('.') ? servername.slice(0, -1) : servername;
}

/** The PeerInfo of an established TLS socket. */
export function peerInfo(secure: tls.TLSSocket, servername: string | undefined): PeerInfo {
  const info: PeerInfo = {
    protocol: secure.getProtocol() ?? 'unknown',
    cipher: secure.getCipher().name,
    chain: peerChain(secure),
    authorized: secure.authorized,
  };
  if (servername !== undefined) info.servername = servername;
  if (!secure.authorized) info.authorizationError = String(secure.authorizationError);
  return info;
}

/** The peer chain as DER, leaf first, following issuerCertificate without looping. */
function peerChain(secure: tls.TLSSocket): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<string>();
  // At run time a missing certificate is `{}` and the end of the chain has no issuer (or,
  // for a self-signed root, points back at itself), whatever the type declarations say.
  let cert = secure.getPeerCertificate(true) as Partial<tls.DetailedPeerCertificate> | undefined;
  while (out.length < MAX_CHAIN && cert?.raw !== undefined) {
    const key = cert.raw.toString('base64');
    if (seen.has(key)) break;
    seen.add(key);
    out.push(new Uint8Array(cert.raw));
    cert = cert.issuerCertificate;
  }
  return out;
}
