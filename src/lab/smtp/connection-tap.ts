/**
 * A small tap on the sockets of one receiving connection: it reads along with smtp-server (a
 * 'data' listener placed before smtp-server's own, so each chunk is seen before its replies are
 * written), sees each reply as smtp-server writes it (the socket's `write` is wrapped), and feeds
 * both to a TranscriptTap — first on the plaintext socket, then, after an accepted STARTTLS
 * (RFC 3207), on the TLS socket. It also reports once when the connection is gone, even though
 * smtp-server drops every listener of the plaintext socket when it starts the handshake.
 * Never changes what smtp-server reads or writes, and never throws into its code paths.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { TranscriptTap, type TranscriptEvents } from './transcript-tap.ts';

/** What the tap reports about the connection itself, from the moment it is accepted. */
export interface ConnectionEvents {
  /** The connection closed (called once). */
  onClose(): void;
  /** A socket error (reset, TLS failure …). */
  onError(error: unknown): void;
}

type Writer = (chunk: unknown, ...rest: unknown[]) => boolean;

/** Calls `f`, swallowing whatever it throws: recording must never break a session. */
function safely(f: () => void): void {
  try {
    f();
  } catch {
    // a recording fault is not the client's problem
  }
}

function text(chunk: unknown): string | undefined {
  if (typeof chunk === 'string') return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk).toString('utf8');
  return undefined;
}

/** The tap of one accepted connection. */
export class ConnectionTap {
  readonly socket: Socket;
  readonly #connection: ConnectionEvents;
  #events: TranscriptEvents | undefined;
  #closed = false;

  /** Watch `socket` (just accepted) for errors and its end; the transcript starts with `attach`. */
  constructor(socket: Socket, events: ConnectionEvents) {
    this.socket = socket;
    this.#connection = events;
    this.#watchEnd();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Start the transcript of the plaintext channel (before the greeting is written). */
  attach(events: TranscriptEvents): void {
    this.#events = events;
    this.#tapChannel(this.socket, true);
  }

  /** The TLS session after STARTTLS: its own transcript channel (before smtp-server reads it). */
  secure(tlsSocket: TLSSocket): void {
    tlsSocket.on('error', (err: unknown) => {
      safely(() => {
        this.#connection.onError(err);
      });
    });
    this.#tapChannel(tlsSocket, false);
  }

  #watchEnd(): void {
    this.socket.once('close', () => {
      if (this.#closed) return;
      this.#closed = true;
      safely(() => {
        this.#connection.onClose();
      });
    });
    this.socket.on('error', (err: unknown) => {
      safely(() => {
        this.#connection.onError(err);
      });
    });
  }

  #tapChannel(socket: Socket, greeting: boolean): void {
    const events = this.#events;
    if (events === undefined) return;
    const tap = new TranscriptTap(
      {
        onCommand: (line) => {
          events.onCommand(line);
        },
        onReply: (lines) => {
          events.onReply(lines);
        },
        onUpgrade: () => {
          // smtp-server removes every listener of the plaintext socket as it starts the
          // handshake, right after writing the 220: watch its end again once it has.
          queueMicrotask(() => {
            this.#watchEnd();
          });
          events.onUpgrade?.();
        },
      },
      { greeting },
    );
    socket.prependListener('data', (chunk: Buffer) => {
      safely(() => {
        tap.fromClient(chunk);
      });
    });
    const write = socket.write.bind(socket) as Writer;
    const tapped: Writer = (chunk, ...rest) => {
      const t = text(chunk);
      if (t !== undefined) {
        safely(() => {
          tap.fromServer(t);
        });
      }
      return write(chunk, ...rest);
    };
    socket.write = tapped;
  }
}
