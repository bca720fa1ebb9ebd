/**
 * The I/O of one session as its transactions see it: commands out (one write per pipelined
 * group), replies in, body blocks, each wait bounded by the timeout of its state, every command
 * and reply reported as a transcript event, and the state the session is in kept for failures.
 * RFC 5321 §4.5.3.2 (a timeout per state), RFC 2920 §3.1 (a group is written at once).
 * Must never: read a reply without a timeout; send a lock-step command while unread input waits.
 */
import type { Extensions, Reply } from '../protocol/index.ts';
import { concatBytes } from '../../util/index.ts';
import type { SmtpConnection } from './connection.ts';
import type { TxWire } from './mail-transaction.ts';
import type { OutCommand } from './pipelining.ts';
import { timeoutFor, type State, type Timeouts } from './session.ts';
import type { SessionFacts, SmtpEvent } from './types.ts';

/** A session's wire: its connection (once open), its state and its transcript. */
export class Wire implements TxWire {
  state: State = 'CONNECT';
  conn: SmtpConnection | undefined;
  readonly emit: (event: SmtpEvent) => void;
  readonly #timeouts: Timeouts;
  readonly #facts: SessionFacts;

  constructor(timeouts: Timeouts, options: { emit: (event: SmtpEvent) => void; facts: SessionFacts }) {
    this.#timeouts = timeouts;
    this.emit = options.emit;
    this.#facts = options.facts;
  }

  get extensions(): Extensions {
    return this.#facts.extensions;
  }

  connection(): SmtpConnection {
    if (this.conn === undefined) throw new Error('not connected');
    return this.conn;
  }

  enter(state: State): void {
    this.state = state;
  }

  takeReply(): Reply | undefined {
    return this.connection().takeReply();
  }

  beginBody(): void {
    this.state = 'DATA_BODY';
    this.connection().beginBody();
  }

  async writeBody(block: Uint8Array, last: boolean): Promise<void> {
    this.state = 'DATA_BODY';
    await this.connection().writeBody(block, { timeoutMs: this.#timeouts.dataBlock, last });
  }

  async send(commands: readonly OutCommand[]): Promise<void> {
    const first = commands[0];
    if (first === undefined) return;
    this.state = first.state;
    for (const c of commands) this.emit({ type: 'command', state: c.state, line: c.line });
    const wire = commands.map((c) => `${c.line}\r\n`).join('');
    await this.connection().write(wire, first.state, timeoutFor(first.state, this.#timeouts));
  }

  async sendWithBody(commands: readonly OutCommand[], body: Uint8Array): Promise<void> {
    const first = commands[0];
    if (first === undefined) return;
    this.state = first.state;
    for (const c of commands) this.emit({ type: 'command', state: c.state, line: c.line });
    const lines = Buffer.from(commands.map((c) => `${c.line}\r\n`).join(''), 'utf8');
    const wire = concatBytes([lines, body]);
    await this.connection().write(wire, first.state, timeoutFor('DATA_BODY', this.#timeouts));
  }

  async read(state: State): Promise<Reply> {
    this.state = state;
    const reply = await this.connection().readReply(state, timeoutFor(state, this.#timeouts));
    this.emit({ type: 'reply', state, reply });
    return reply;
  }

  async command(state: State, line: string): Promise<Reply> {
    this.state = state;
    this.connection().assertNoPendingInput(`before ${line.split(' ')[0] ?? line}`);
    await this.send([{ state, line }]);
    return this.read(state);
  }
}
