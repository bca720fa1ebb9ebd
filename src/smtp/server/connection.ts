/**
 * smtp-server adapted to intake's replies: a connection class that (a) sends our own enhanced
 * status codes (RFC 3463, RFC 2034) — a reply text that starts with one, e.g. `5.7.1 Relay
 * access denied`, is sent as is instead of getting the library's guess added — and (b) offers
 * AUTH in the EHLO reply only on a TLS session (RFC 4954 §4: PLAIN/LOGIN send the password in
 * the clear, so we advertise them only once it is protected); and a server class that uses it.
 * Must never: change what the library accepts or refuses — only how replies are worded.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection, type SMTPConnectionOptions } from 'smtp-server/lib/smtp-connection.js';

/** A reply text that carries its own enhanced status code. */
const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /;

class IntakeConnection extends SMTPConnection {
  override send(code: number, data?: string | string[] | null, context?: string | false): void {
    if (typeof data === 'string' && ENHANCED.test(data)) {
      super.send(code, data, false);
      return;
    }
    if (Array.isArray(data) && code === 250 && !this.secure) {
      // The EHLO reply is the only multi-line 250: no AUTH before STARTTLS.
      super.send(
        code,
        data.filter((line) => !/^AUTH\b/i.test(line)),
        context,
      );
      return;
    }
    super.send(code, data, context);
  }
}

/** smtp-server whose connections are IntakeConnections. */
export class IntakeServer extends SMTPServer {
  override connect(socket: Socket | TLSSocket, socketOptions?: SMTPConnectionOptions | null): void {
    const connection = new IntakeConnection(this, socket, socketOptions);
    this.connections.add(connection);
    connection.on('error', (err: Error) => {
      this._onError(err);
    });
    connection.on('connect', (info: Parameters<SMTPServer['_onClientConnect']>[0]) => {
      this._onClientConnect(info);
    });
    connection.init();
  }
}
