/**
 * One SMTP connection to one MX address under a decided host policy, carrying one or several
 * messages of one destination: opens the session (STARTTLS per policy), judges the TLS peer
 * (DANE against the usable TLSA records, PKIX through Node's verdict, or nothing), writes the
 * transcript lines of DESIGN.md, then runs each message's transaction and turns the facts into an
 * attempt record and a verdict (policy/classify.ts decides; this module only reports).
 * A peer that fails the required authentication is dropped before MAIL FROM — nothing is sent.
 * Must never: reuse a session for another destination, host, address or policy (the caller
 * makes one Connection per address and policy); send a transaction on a session that is not
 * usable.
 */
import type { Proof } from '../dns/dnssec/index.ts';
import { formatTlsa, verifyDanePeer } from '../dane/index.ts';
import { classifyAttempt, type AttemptFacts, type HostPolicy, type Verdict } from '../policy/index.ts';
import type {
  MailTransaction,
  PeerInfo,
  PeerVerdict,
  SessionFacts,
  SessionOptions,
  TransactionFacts,
} from '../smtp/client/index.ts';
import { hasExtension } from '../smtp/protocol/index.ts';
import { describeX509Error, tryParseCertificate, X509Error } from '../x509/index.ts';
import { attemptChannel, daneVerdictChannel } from './channels.ts';
import type { TransportProfile } from './profile.ts';
import { replyJson, type AttemptRecord, type DaneStatus, type TlsLevel } from './types.ts';

/** What delivery needs of an SMTP session (smtp/client's `Session`; tests may stub it). */
export interface SmtpSession {
  readonly facts: SessionFacts;
  readonly usable: boolean;
  send(tx: MailTransaction): Promise<TransactionFacts>;
  close(): Promise<void>;
  destroy(): void;
}

/** Opens a session (smtp/client's `openSession`). */
export type OpenSession = (options: SessionOptions) => Promise<SmtpSession>;

/** Where a connection goes: one address of one MX host, and what DNS said about it. */
export interface ConnectionTarget {
  /** Destination domain (A-labels), for the channel payloads. */
  domain: string;
  mx: string;
  address: string;
  /** Security status of the address records this address came from. */
  dnssec: Proof;
  /** All TLSA records of the host as text (for attempt records). */
  tlsa: string[];
}

export interface ConnectionInput {
  target: ConnectionTarget;
  policy: HostPolicy & { action: 'connect' };
  profile: TransportProfile;
  /** Current time in ms, for DANE-TA validity checks. */
  now: () => number;
  open: OpenSession;
  /** Transcript lines of the session itself (connect, certificate, DANE, TLS). */
  log: (line: string) => void;
}

/** One transaction's outcome on a connection. */
export interface TransactionOutcome {
  record: AttemptRecord;
  verdict: Verdict;
  level: TlsLevel;
  /** The session is not usable any more (broken, closed by the server). */
  broken: boolean;
  /** The server offered DSN (RFC 3461): it reports success itself. */
  remoteDsn: boolean;
  /** The transcript line of a failure, when there was one. */
  line?: string;
}

/** `[address]:port`, as the transcript writes a peer. */
export function formatHostPort(address: string, port: number): string {
  return `[${address}]:${port}`;
}

/** An open (or failed) connection. Make one with `connect`. */
export class Connection {
  readonly session: SmtpSession;
  readonly #input: ConnectionInput;
  readonly #plaintext: boolean;
  readonly #dane: () => DaneStatus;

  constructor(
    session: SmtpSession,
    input: ConnectionInput,
    extra: { plaintext: boolean; dane: () => DaneStatus },
  ) {
    this.session = session;
    this.#input = input;
    this.#plaintext = extra.plaintext;
    this.#dane = extra.dane;
  }

  /** `mx.example [192.0.2.1]:25`, for the transcript. */
  get peer(): string {
    const t = this.#input.target;
    return `${t.mx} ${formatHostPort(t.address, this.#input.profile.port)}`;
  }

  /** True when the session could not be opened (then `openFailure` says what it means). */
  get failed(): boolean {
    return this.session.facts.failure !== undefined;
  }

  get level(): TlsLevel {
    const f = this.session.facts;
    const p = this.#input.policy;
    if (!f.tls.used) return 'none';
    if (f.tls.verdict?.ok !== true) return 'encrypted';
    return p.auth === 'dane' ? 'dane' : p.auth === 'pkix' ? 'pkix' : 'encrypted';
  }

  /** The session failed in a way opportunistic TLS retries without STARTTLS (same address). */
  get retryPlaintext(): boolean {
    const f = this.session.facts;
    if (f.failure === undefined) return false;
    const v = classifyAttempt(
      { connected: f.connected, recipients: [], failure: f.failure },
      { verify: false, plaintextFallback: this.#input.policy.plaintextFallback && !this.#plaintext },
    );
    return v.kind === 'retry-plaintext';
  }

  /** The verdict and record for a message that could not be sent because the session failed. */
  openFailure(recipients: readonly string[], verify: boolean): TransactionOutcome {
    const f = this.session.facts;
    const out = this.#outcome(
      {
        connected: f.connected,
        recipients: recipients.map((address) => ({ address })),
        ...(f.failure === undefined ? {} : { failure: f.failure }),
      },
      verify,
      f.failure?.reply ?? f.greeting,
    );
    // `connect` has said why the session failed, for every message of the batch: once is enough.
    delete out.line;
    return out;
  }

  /** Run one message's transaction on the session. */
  async send(tx: MailTransaction): Promise<TransactionOutcome> {
    const t = await this.session.send(tx);
    const facts: AttemptFacts = {
      connected: true,
      recipients: t.recipients,
      ...(t.mail === undefined ? {} : { mail: t.mail }),
      ...(t.dataStart === undefined ? {} : { dataStart: t.dataStart }),
      ...(t.data === undefined ? {} : { data: t.data }),
      ...(t.failure === undefined ? {} : { failure: t.failure }),
    };
    const last = t.data ?? t.dataStart ?? t.recipients.at(-1)?.reply ?? t.mail ?? t.failure?.reply ?? t.rset;
    return this.#outcome(facts, tx.message === undefined, last);
  }

  /** QUIT and close (bounded by the QUIT timeout). */
  close(): Promise<void> {
    return this.session.close();
  }

  #outcome(facts: AttemptFacts, verify: boolean, last: Parameters<typeof replyJson>[0]): TransactionOutcome {
    const { target: t, policy: p } = this.#input;
    const verdict = classifyAttempt(facts, {
      verify,
      plaintextFallback: p.plaintextFallback && !this.#plaintext,
    });
    const level = this.level;
    const failure = facts.failure;
    const record: AttemptRecord = {
      mx: t.mx,
      address: t.address,
      dnssec: t.dnssec,
      tlsa: t.tlsa,
      tls: facts.connected ? level : null,
      dane: this.#dane(),
      reply: replyJson(last),
      error: failure === undefined ? null : failure.message,
    };
    attemptChannel.publish({ ...record, domain: t.domain });
    const remoteDsn = hasExtension(this.session.facts.extensions, 'DSN');
    const out: TransactionOutcome = { record, verdict, level, broken: !this.session.usable, remoteDsn };
    if (failure !== undefined) out.line = failureLine(failure.code, failure.message, t.mx);
    return out;
  }
}

/** The SMTP client's session options, built in this one place from the profile and policy. */
function sessionOptions(
  input: ConnectionInput,
  plaintext: boolean,
  verifyPeer: SessionOptions['verifyPeer'],
): SessionOptions {
  const { profile, policy, target } = input;
  const opts: SessionOptions = {
    address: target.address,
    port: profile.port,
    helo: profile.helo,
    starttls: plaintext ? 'never' : policy.starttls,
    servername: policy.servername,
    verifyHostname: target.mx,
  };
  if (verifyPeer !== undefined) opts.verifyPeer = verifyPeer;
  if (policy.minTlsVersion !== undefined) opts.minTlsVersion = policy.minTlsVersion;
  // DANE judges only the chain the server sent (RFC 7671 §5.2.2): no roots may complete it.
  if (policy.auth === 'dane') opts.trustStore = 'none';
  else if (profile.ca !== undefined) opts.ca = [...profile.ca];
  if (profile.localAddress !== undefined) opts.localAddress = profile.localAddress;
  if (profile.timeouts !== undefined) opts.timeouts = profile.timeouts;
  return opts;
}

/**
 * Connect to the target under the policy; `plaintext` forces STARTTLS off (the optional-TLS
 * retry after a failed handshake). Never throws for network conditions: see `failed`.
 */
export async function connect(
  input: ConnectionInput,
  opts: { plaintext?: boolean } = {},
): Promise<Connection> {
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
  const session = await input.open(sessionOptions(input, plaintext, verifyPeer));
  const conn = new Connection(session, input, { plaintext, dane: () => dane });
  const failure = session.facts.failure;
  if (failure !== undefined) input.log(failureLine(failure.code, failure.message, t.mx));
  return conn;
}

/** The verifyPeer decision plus the X.509 / DANE transcript lines. */
function judgePeer(peer: PeerInfo, input: ConnectionInput): PeerVerdict {
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
    // Only a TLSA RRset proven secure authenticates (SecureTlsa can be built from nothing else).
    if (p.tlsa === undefined) {
      input.log('DANE: validation failed: no secure TLSA RRset');
      return { ok: false, reason: 'DANE authentication failed: no secure TLSA RRset' };
    }
    const v = verifyDanePeer(peer.chain, p.tlsa, {
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
