/**
 * The SMTP transcript of one channel (the plaintext connection, or the TLS session after
 * STARTTLS) as a server sees it, rebuilt from the bytes the client sent and the replies the
 * server wrote: the command lines (never message content) and the reply lines. The client's
 * bytes are framed as smtp-server frames them — lines end at LF with an optional CR before it
 * (RFC 5321 §2.3.8), message content runs from a 354 reply to the `CRLF.CRLF` terminator
 * (RFC 5321 §4.1.1.4) — and each reply is matched to the command it answers, in order (RFC 2920
 * §3.1: replies come in the order of the commands), which says whether DATA opened the content
 * and whether STARTTLS was accepted.
 * Pure: bytes in, callbacks out; no I/O, no clock. Must never record message content as a
 * command, nor plaintext that followed an accepted STARTTLS (RFC 3207 §4.2 has the server
 * discard it).
 */

/** What a reply answers: the greeting, a command, the end of the content, DATA or STARTTLS. */
type Awaiting = 'greeting' | 'command' | 'content' | 'data' | 'starttls';

/** Where the client's bytes go. */
type Mode =
  /** Command lines. */
  | 'command'
  /** After DATA or STARTTLS, until its reply says what the following bytes are. */
  | 'hold'
  /** Message content up to the terminator. */
  | 'content'
  /** Nothing more is read on this channel (QUIT, 421, or STARTTLS accepted). */
  | 'done';

/** Longest command line kept (smtp-server refuses longer ones); longer lines are cut. */
const MAX_LINE = 4096;
/** RFC 5321 §4.1.1.4: "The mail data are terminated by a line containing only a period". */
const END_OF_DATA = Buffer.from('\r\n.\r\n');
const DOT_LINE = Buffer.from('.\r\n');
/** Replies after which smtp-server closes the connection. */
const CLOSING_CODES: ReadonlySet<number> = new Set([221, 421]);

/** Callbacks of a tap. */
export interface TranscriptEvents {
  /** A command line as received (CR/LF removed, UTF-8 decoded; AUTH arguments masked). */
  onCommand(line: string): void;
  /** The lines of one complete reply as sent. */
  onReply(lines: readonly string[]): void;
  /** STARTTLS was answered with 220: this channel ends, the TLS session gets a new tap. */
  onUpgrade?(): void;
}

/** Options of a tap. */
export interface TranscriptTapOptions {
  /** The channel opens with the server's greeting (false for the TLS session after STARTTLS). */
  greeting: boolean;
}

/** Masks everything after the mechanism of an AUTH command (credentials never get recorded). */
function masked(line: string): string {
  const m = /^(AUTH\s+\S+)\s+\S/i.exec(line);
  return m === null ? line : `${m[1] ?? 'AUTH'} ***`;
}

/** Rebuilds one channel's transcript; feed it with `fromClient` and `fromServer`. */
export class TranscriptTap {
  readonly #events: TranscriptEvents;
  readonly #awaiting: Awaiting[] = [];
  #mode: Mode = 'command';
  /** Client bytes not yet framed (a partial line, held bytes, or the content's last bytes). */
  #pending: Buffer = Buffer.alloc(0);
  /** In content mode: nothing of the content has been seen yet (`.CRLF` ends it at once). */
  #atDataStart = false;
  /** Reply text not yet complete. */
  #replyText = '';
  #replyLines: string[] = [];

  constructor(events: TranscriptEvents, opts: TranscriptTapOptions) {
    this.#events = events;
    if (opts.greeting) this.#awaiting.push('greeting');
  }

  /** True once nothing more is read on this channel. */
  get done(): boolean {
    return this.#mode === 'done';
  }

  /** Bytes the client sent. */
  fromClient(chunk: Uint8Array): void {
    if (this.#mode === 'done') return;
    this.#pending = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    this.#drain();
  }

  /** Text the server wrote (one or more reply lines, CRLF-terminated). */
  fromServer(text: string): void {
    this.#replyText += text;
    let end: number;
    while ((end = this.#replyText.indexOf('\r\n')) >= 0) {
      const line = this.#replyText.slice(0, end);
      this.#replyText = this.#replyText.slice(end + 2);
      this.#replyLines.push(line);
      // RFC 5321 §4.2.1: every line but the last has a hyphen after the code.
      if (line.charAt(3) !== '-') this.#reply(this.#replyLines.splice(0));
    }
  }

  #reply(lines: string[]): void {
    this.#events.onReply(lines);
    const code = Number((lines.at(-1) ?? '').slice(0, 3));
    const answered = this.#awaiting.shift();
    if (CLOSING_CODES.has(code)) {
      this.#finish();
      return;
    }
    if (answered === 'data' && this.#mode === 'hold') {
      this.#mode = code === 354 ? 'content' : 'command';
      this.#atDataStart = code === 354;
      this.#drain();
    } else if (answered === 'starttls' && this.#mode === 'hold') {
      if (code === 220) {
        this.#finish();
        this.#events.onUpgrade?.();
        return;
      }
      this.#mode = 'command';
      this.#drain();
    }
  }

  #finish(): void {
    this.#mode = 'done';
    this.#pending = Buffer.alloc(0);
  }

  /** Frame what is pending, as far as the mode allows. */
  #drain(): void {
    for (;;) {
      if (this.#mode === 'command') {
        if (!this.#commandLine()) return;
      } else if (this.#mode === 'content') {
        if (!this.#contentEnd()) return;
      } else {
        return;
      }
    }
  }

  /** One command line out of the pending bytes; false when no complete line is there. */
  #commandLine(): boolean {
    const lf = this.#pending.indexOf(0x0a);
    if (lf < 0) {
      if (this.#pending.length > MAX_LINE) this.#pending = this.#pending.subarray(0, MAX_LINE);
      return false;
    }
    const cut = lf > 0 && this.#pending[lf - 1] === 0x0d ? lf - 1 : lf;
    const line = this.#pending.subarray(0, Math.min(cut, MAX_LINE)).toString('utf8');
    this.#pending = this.#pending.subarray(lf + 1);
    this.#events.onCommand(masked(line));
    const verb = (/^\S*/.exec(line)?.[0] ?? '').toUpperCase();
    if (verb === 'DATA' || verb === 'STARTTLS') {
      this.#awaiting.push(verb === 'DATA' ? 'data' : 'starttls');
      this.#mode = 'hold';
    } else {
      this.#awaiting.push('command');
      if (verb === 'QUIT') this.#finish();
    }
    return true;
  }

  /** Skip content up to its terminator; false when the terminator has not arrived yet. */
  #contentEnd(): boolean {
    const data = this.#pending;
    if (this.#atDataStart) {
      if (data.length < DOT_LINE.length && DOT_LINE.subarray(0, data.length).equals(data)) return false;
      this.#atDataStart = false;
      if (data.subarray(0, DOT_LINE.length).equals(DOT_LINE)) return this.#endContent(DOT_LINE.length);
    }
    const at = data.indexOf(END_OF_DATA);
    if (at >= 0) return this.#endContent(at + END_OF_DATA.length);
    // Keep the last bytes: the terminator may straddle two chunks.
    this.#pending = data.subarray(Math.max(0, data.length - (END_OF_DATA.length - 1)));
    return false;
  }

  #endContent(length: number): boolean {
    this.#pending = this.#pending.subarray(length);
    this.#awaiting.push('content');
    this.#mode = 'command';
    return true;
  }
}
