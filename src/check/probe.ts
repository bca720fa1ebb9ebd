/**
 * The SMTP side of a check: connect to one MX address, read the greeting, EHLO, and — when the
 * server offers it — STARTTLS and the TLS handshake, keeping the certificate chain the server
 * presents; then QUIT. RFC 5321 §3.1–3.2, RFC 3207 §4 (STARTTLS), RFC 7672 §3.1 (SNI = the TLSA
 * base domain). Runs through smtp/client's transaction with STARTTLS required and a verifyPeer
 * that keeps the chain and says no, so the session ends right after the handshake.
 * Must never: send MAIL, RCPT or any message data; continue in plaintext after STARTTLS.
 */
import {
  runTransaction,
  uniformTimeouts,
  type PeerInfo,
  type TransactionOptions,
  type TransactionResult,
} from '../smtp/client/index.ts';

/** Where and how to probe. */
export interface ProbeTarget {
  readonly address: string;
  readonly port: number;
  /** SNI name: the TLSA base domain (RFC 7672 §3.1), else the MX host name. */
  readonly servername: string;
  readonly helo: string;
  /** Cap on every wait of the session, in ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** What the probe found out. */
export interface ProbeResult {
  readonly connected: boolean;
  /** Whether EHLO offered STARTTLS; null when the session ended before EHLO's reply. */
  readonly starttls: boolean | null;
  /** The handshake's facts, when it completed. */
  readonly tls?: {
    readonly protocol: string;
    readonly cipher: string;
    readonly chain: readonly Uint8Array[];
  };
  /** Where the session stopped, when that was not after a completed handshake or a missing STARTTLS. */
  readonly error?: {
    readonly stage: 'connect' | 'session' | 'starttls' | 'handshake';
    readonly message: string;
  };
}

/** Probes one address (the checker's default uses the real SMTP client; tests may pass another). */
export type Probe = (target: ProbeTarget) => Promise<ProbeResult>;

const INSPECTED = 'inspected by dane-mta check; closing';

/** Map the transaction's facts to what the checker needs. */
export function probeResultOf(r: TransactionResult, peer: PeerInfo | undefined): ProbeResult {
  const starttls = r.hello === undefined ? null : r.starttlsOffered;
  const tls =
    peer === undefined ? undefined : { protocol: peer.protocol, cipher: peer.cipher, chain: peer.chain };
  const base = { connected: r.connected, starttls, ...(tls === undefined ? {} : { tls }) };
  const f = r.failure;
  if (f === undefined || tls !== undefined || f.code === 'SMTP_ERR_STARTTLS_NOT_OFFERED') return base;
  if (!r.connected) return { ...base, error: { stage: 'connect', message: f.message } };
  if (f.code === 'SMTP_ERR_STARTTLS_REFUSED')
    return { ...base, error: { stage: 'starttls', message: f.message } };
  if (f.state === 'TLS_HANDSHAKE') return { ...base, error: { stage: 'handshake', message: f.message } };
  return { ...base, error: { stage: 'session', message: f.message } };
}

/** The default probe: smtp/client's transaction, stopped right after the handshake. */
export const smtpProbe: Probe = async (target) => {
  let peer: PeerInfo | undefined;
  const options: TransactionOptions = {
    address: target.address,
    port: target.port,
    helo: target.helo,
    starttls: 'required',
    servername: target.servername,
    verifyPeer: (p) => {
      peer = p;
      return { ok: false, reason: INSPECTED };
    },
    from: '',
    // Never sent: verifyPeer always stops the session before MAIL (and so does a missing STARTTLS).
    recipients: [{ address: 'postmaster@check.invalid' }],
    timeouts: uniformTimeouts(target.timeoutMs),
    ...(target.signal === undefined ? {} : { signal: target.signal }),
  };
  const result = await runTransaction(options);
  return probeResultOf(result, peer);
};
