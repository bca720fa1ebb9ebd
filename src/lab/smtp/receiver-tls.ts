/**
 * The TLS side of a receiving MX (RFC 3207 STARTTLS): the key and chain it presents, other
 * credentials chosen by the SNI name the client sends (RFC 6066 §3), and the TLS facts of a
 * session once its handshake completes (protocol, cipher, SNI). Never offers anything but the
 * configured credentials and never lets a recording fault reach the handshake.
 */
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import type { ReceiverState } from './receiver-state.ts';
import type { ReceiverCredentials, ReceiverTlsOptions } from './receiver-types.ts';

function credentialOptions(creds: ReceiverCredentials): { key: string; cert: string } {
  const key =
    typeof creds.key === 'string' ? creds.key : creds.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { key, cert: creds.certChainPem };
}

/** smtp-server's TLS options: versions, the default credentials and the SNI choice. */
export function tlsOptions(tls: ReceiverTlsOptions, state: ReceiverState): Partial<SMTPServerOptions> {
  const versions = {
    ...(tls.minVersion === undefined ? {} : { minVersion: tls.minVersion }),
    ...(tls.maxVersion === undefined ? {} : { maxVersion: tls.maxVersion }),
  };
  const contexts = new Map<string, SecureContext>();
  for (const [name, creds] of Object.entries(tls.sni ?? {})) {
    contexts.set(name.toLowerCase(), createSecureContext({ ...versions, ...credentialOptions(creds) }));
  }
  return {
    ...versions,
    ...credentialOptions(tls),
    SNICallback: (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => {
      const name = servername.toLowerCase();
      try {
        state.noteSni(name);
      } catch {
        // recording must never break a handshake
      }
      cb(null, contexts.get(name));
    },
  };
}

/** smtp-server's onSecure: the session's TLS facts, and the tap moves to the TLS socket. */
export function onSecure(state: ReceiverState, socket: Socket | TLSSocket, session: SMTPServerSession): void {
  if (socket instanceof TLSSocket) state.secured(session.id, socket);
  const record = state.byId.get(session.id);
  if (record === undefined) return;
  const protocol = socket instanceof TLSSocket ? socket.getProtocol() : null;
  const servername =
    typeof session.servername === 'string' && session.servername !== '' ? session.servername : undefined;
  record.tls = {
    used: true,
    startTls: record.tls.startTls,
    ...(protocol === null ? {} : { protocol }),
    ...(session.tlsOptions === false ? {} : { cipher: session.tlsOptions.name }),
    ...(servername === undefined ? {} : { servername: servername.toLowerCase() }),
  };
  state.notify();
}
