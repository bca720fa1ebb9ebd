/**
 * One connection attempt to one MX address under a decided host policy: runs the SMTP client,
 * judges the TLS peer (DANE against the usable TLSA records, PKIX through Node's verdict, or
 * nothing), writes the transcript lines of DESIGN.md and classifies what happened. A peer that
 * fails the required authentication is dropped before MAIL FROM — nothing is sent to it.
 */
import type { Proof } from '../dns/dnssec/index.ts';
import { formatTlsa, verifyDanePeer } from '../dane/index.ts';
import { classifyAttempt, type AttemptVerdict, type HostPolicy } from '../policy/index.ts';
import type {
  PeerInfo,
  PeerVerdict,
  RecipientSpec,
  TransactionOptions,
  TransactionResult,
} from '../smtp/client/index.ts';
import { describeX509Error, tryParseCertificate, X509Error } from '../x509/index.ts';
import { publishAttempt, publishVerdict } from './channels.ts';
import { replyJson, type AttemptRecord, type DaneStatus, type TlsLevel } from './types.ts';

export type Transact = (opts: TransactionOptions) => Promise<TransactionResult>;

export interface AttemptInput {
  mx: string;
  address: string;
  port: number;
  /** Security status of the address records this address came from. */
  dnssec: Proof;
  policy: HostPolicy & { action: 'connect' };
  /** All TLSA records of the host as text (for the attempt record). */
  tlsa: string[];
  from: string;
  mailParams?: string[];
  recipients: RecipientSpec[];
  message?: Uint8Array;
  helo: string;
  localAddress?: string;
  timeouts?: TransactionOptions['timeouts'];
  ca?: string[];
  /** Current time in ms, for DANE-TA validity checks. */
  now: () => number;
  transact: Transact;
  log: (line: string) => void;
}

export interface AttemptOutput {
  record: AttemptRecord;
  result: TransactionResult;
  verdict: AttemptVerdict;
  level: TlsLevel;
}

function formatHostPort(address: string, port: number): string {
  return `[${address}]:${port}`;
}

/** Run one attempt; `plaintext` forces STARTTLS off (the optional-TLS retry after a failed handshake). */
export async function runAttempt(
  input: AttemptInput,
  opts: { plaintext?: boolean } = {},
): Promise<AttemptOutput> {
  const p = input.policy;
  const starttls = opts.plaintext === true ? 'never' : p.starttls;
  input.log(
    `Connecting to ${formatHostPort(input.address, input.port)}${input.dnssec === 'secure' ? ' (DNSSEC)' : ''}`,
  );
  if (p.note !== undefined && opts.plaintext !== true) input.log(p.note);
  let dane: DaneStatus = p.auth === 'dane' ? 'failed' : p.unusableTlsa === true ? 'unusable' : 'none';
  const verifyPeer = (peer: PeerInfo): PeerVerdict => {
    const v = judgePeer(peer, input);
    if (p.auth === 'dane') dane = v.ok ? 'validated' : 'failed';
    if (v.ok) input.log('Connection is now using TLS');
    return v;
  };
  const result = await input.transact({
    address: input.address,
    port: input.port,
    helo: input.helo,
    starttls,
    servername: p.servername,
    verifyHostname: input.mx,
    ...(p.minTlsVersion === undefined ? {} : { minTlsVersion: p.minTlsVersion }),
    // DANE judges only the chain the server sent (RFC 7671 §5.2.2): no roots may complete it.
    ...(p.auth === 'dane' ? { trustStore: 'none' as const } : input.ca === undefined ? {} : { ca: input.ca }),
    ...(input.localAddress === undefined ? {} : { localAddress: input.localAddress }),
    ...(input.timeouts === undefined ? {} : { timeouts: input.timeouts }),
    ...(input.message === undefined ? {} : { message: input.message }),
    verifyPeer,
    from: input.from,
    ...(input.mailParams === undefined ? {} : { mailParams: input.mailParams }),
    recipients: input.recipients,
  });
  const failure = result.failure;
  if (failure !== undefined) input.log(failureLine(failure.code, failure.message, input.mx));
  const verdict = classifyAttempt(result, {
    verify: input.message === undefined,
    plaintextFallback: p.plaintextFallback && opts.plaintext !== true,
  });
  const level: TlsLevel = !result.tls.used
    ? 'none'
    : result.tls.verdict?.ok !== true
      ? 'encrypted'
      : p.auth === 'dane'
        ? 'dane'
        : p.auth === 'pkix'
          ? 'pkix'
          : 'encrypted';
  const last =
    result.data ??
    result.dataStart ??
    result.recipients.at(-1)?.reply ??
    result.mail ??
    failure?.reply ??
    result.greeting;
  const record: AttemptRecord = {
    mx: input.mx,
    address: input.address,
    dnssec: input.dnssec,
    tlsa: input.tlsa,
    tls: result.connected ? level : null,
    dane,
    reply: replyJson(last),
    error: failure === undefined ? null : failure.message,
  };
  publishAttempt({ ...record });
  return { record, result, verdict, level };
}

/** The verifyPeer decision plus the X.509 / DANE transcript lines. */
function judgePeer(peer: PeerInfo, input: AttemptInput): PeerVerdict {
  const p = input.policy;
  const leaf = peer.chain[0];
  const parsed = leaf === undefined ? undefined : tryParseCertificate(leaf);
  if (parsed !== undefined && !(parsed instanceof X509Error)) input.log(`X.509: ${parsed.subject.oneline}`);
  else input.log('X.509: (no parsable certificate)');
  const pkixError = peer.authorized
    ? undefined
    : `X.509 error: ${describeX509Error(peer.authorizationError ?? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')}`;
  if (p.auth === 'dane') {
    const v = verifyDanePeer(peer.chain, p.tlsa ?? [], {
      referenceNames: [...new Set([p.servername, input.mx])],
      now: input.now(),
    });
    publishVerdict({
      mx: input.mx,
      address: input.address,
      ok: v.ok,
      reason: v.reason,
      ...(v.ok ? { usage: v.usage, depth: v.depth, tlsa: formatTlsa(v.matched) } : { code: v.code }),
    });
    if (v.ok) {
      input.log('DANE: validated successfully');
      return { ok: true, details: { tlsa: formatTlsa(v.matched), depth: v.depth } };
    }
    input.log(`DANE: validation failed: ${v.reason}`);
    return { ok: false, reason: `DANE authentication failed: ${v.reason}` };
  }
  if (pkixError !== undefined) input.log(pkixError);
  if (p.auth === 'pkix' && pkixError !== undefined) {
    return { ok: false, reason: `PKIX authentication failed: ${pkixError.slice('X.509 error: '.length)}` };
  }
  return { ok: true };
}

function failureLine(code: string, message: string, mx: string): string {
  switch (code) {
    case 'SMTP_ERR_CONNECT':
      return `Connection failed: ${message}`;
    case 'SMTP_ERR_STARTTLS_NOT_OFFERED':
      return `STARTTLS not offered by ${mx} (TLS is required)`;
    case 'SMTP_ERR_TLS_HANDSHAKE':
      return `TLS handshake failed: ${message}`;
    case 'SMTP_ERR_PEER_REJECTED':
      return `Disconnected from ${mx} before MAIL FROM: nothing was sent to it`;
    default:
      return `Error: ${message}`;
  }
}
