/**
 * One connection attempt to one MX address under a decided host policy: runs the SMTP client,
 * judges the TLS peer (DANE against the usable TLSA records, PKIX through Node's verdict, or
 * nothing), writes the transcript lines of DESIGN.md and classifies what happened. A peer that
 * fails the required authentication is dropped before MAIL FROM — nothing is sent to it.
 */
import type { Proof } from '../dns/dnssec/index.ts';
import { formatTlsa, verifyDanePeer } from '../dane/index.ts';
import { classifyAttempt, type HostPolicy, type Verdict } from '../policy/index.ts';
import type {
  PeerInfo,
  PeerVerdict,
  RecipientSpec,
  TransactionOptions,
  TransactionResult,
} from '../smtp/client/index.ts';
import { describeX509Error, tryParseCertificate, X509Error } from '../x509/index.ts';
import { attemptChannel, daneVerdictChannel } from './channels.ts';
import type { TransportProfile } from './profile.ts';
import { replyJson, type AttemptRecord, type DaneStatus, type TlsLevel } from './types.ts';

export type Transact = (opts: TransactionOptions) => Promise<TransactionResult>;

/** Where an attempt goes: one address of one MX host, and what DNS said about it. */
export interface AttemptTarget {
  /** Destination domain (A-labels), for the channel payloads. */
  domain: string;
  mx: string;
  address: string;
  /** Security status of the address records this address came from. */
  dnssec: Proof;
  /** All TLSA records of the host as text (for the attempt record). */
  tlsa: string[];
}

/** The envelope as it goes on the wire (addresses in their wire form, DSN parameters). */
export interface WireEnvelope {
  from: string;
  mailParams?: string[];
  recipients: RecipientSpec[];
  /** The message; absent for recipient verification. */
  message?: Uint8Array;
}

export interface AttemptInput {
  target: AttemptTarget;
  policy: HostPolicy & { action: 'connect' };
  envelope: WireEnvelope;
  profile: TransportProfile;
  /** Current time in ms, for DANE-TA validity checks. */
  now: () => number;
  transact: Transact;
  log: (line: string) => void;
}

export interface AttemptOutput {
  record: AttemptRecord;
  result: TransactionResult;
  verdict: Verdict;
  level: TlsLevel;
}

/** `[address]:port`, as the transcript writes a peer. */
export function formatHostPort(address: string, port: number): string {
  return `[${address}]:${port}`;
}

/** The SMTP client's options, built in this one place from the profile, policy and envelope. */
function transactionOptions(
  input: AttemptInput,
  starttls: TransactionOptions['starttls'],
  verifyPeer: TransactionOptions['verifyPeer'],
): TransactionOptions {
  const { profile, policy, envelope, target } = input;
  const opts: TransactionOptions = {
    address: target.address,
    port: profile.port,
    helo: profile.helo,
    starttls,
    servername: policy.servername,
    verifyHostname: target.mx,
    from: envelope.from,
    recipients: envelope.recipients,
  };
  if (verifyPeer !== undefined) opts.verifyPeer = verifyPeer;
  if (policy.minTlsVersion !== undefined) opts.minTlsVersion = policy.minTlsVersion;
  if (profile.ca !== undefined) opts.ca = [...profile.ca];
  if (profile.localAddress !== undefined) opts.localAddress = profile.localAddress;
  if (profile.timeouts !== undefined) opts.timeouts = profile.timeouts;
  if (envelope.message !== undefined) opts.message = envelope.message;
  if (envelope.mailParams !== undefined) opts.mailParams = envelope.mailParams;
  return opts;
}

/** Run one attempt; `plaintext` forces STARTTLS off (the optional-TLS retry after a failed handshake). */
export async function runAttempt(
  input: AttemptInput,
  opts: { plaintext?: boolean } = {},
): Promise<AttemptOutput> {
  const p = input.policy;
  const t = input.target;
  const plaintext = opts.plaintext === true;
  input.log(
    `Connecting to ${formatHostPort(t.address, input.profile.port)}${t.dnssec === 'secure' ? ' (DNSSEC)' : ''}`,
  );
  if (p.note !== undefined && !plaintext) input.log(p.note);
  let dane: DaneStatus = p.auth === 'dane' ? 'failed' : p.unusableTlsa === true ? 'unusable' : 'none';
  const verifyPeer = (peer: PeerInfo): PeerVerdict => {
    const v = judgePeer(peer, input);
    if (p.auth === 'dane') dane = v.ok ? 'validated' : 'failed';
    if (v.ok) input.log('Connection is now using TLS');
    return v;
  };
  const result = await input.transact(
    transactionOptions(input, plaintext ? 'never' : p.starttls, verifyPeer),
  );
  const failure = result.failure;
  if (failure !== undefined) input.log(failureLine(failure.code, failure.message, t.mx));
  const verdict = classifyAttempt(result, {
    verify: input.envelope.message === undefined,
    plaintextFallback: p.plaintextFallback && !plaintext,
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
    mx: t.mx,
    address: t.address,
    dnssec: t.dnssec,
    tlsa: t.tlsa,
    tls: result.connected ? level : null,
    dane,
    reply: replyJson(last),
    error: failure === undefined ? null : failure.message,
  };
  attemptChannel.publish({ ...record, domain: t.domain });
  return { record, result, verdict, level };
}

/** The verifyPeer decision plus the X.509 / DANE transcript lines. */
function judgePeer(peer: PeerInfo, input: AttemptInput): PeerVerdict {
  const p = input.policy;
  const t = input.target;
  const leaf = peer.chain[0];
  const parsed = leaf === undefined ? undefined : tryParseCertificate(leaf);
  if (parsed !== undefined && !(parsed instanceof X509Error)) input.log(`X.509: ${parsed.subject.oneline}`);
  else input.log('X.509: (no parsable certificate)');
  const pkixError = peer.authorized
    ? undefined
    : `X.509 error: ${describeX509Error(peer.authorizationError ?? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')}`;
  if (p.auth === 'dane') {
    const v = verifyDanePeer(peer.chain, p.tlsa ?? [], {
      referenceNames: [...new Set([p.servername, t.mx])],
      now: input.now(),
    });
    const where = { domain: t.domain, mx: t.mx, address: t.address, reason: v.reason };
    daneVerdictChannel.publish(
      v.ok
        ? { ...where, ok: true, usage: v.usage, depth: v.depth, tlsa: formatTlsa(v.matched) }
        : { ...where, ok: false, code: v.code },
    );
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
