/**
 * The policy hooks of one listener (smtp-server's onConnect/onAuth/onMailFrom/onRcptTo/onData/
 * onClose): no open relay (relay: only clients in `networks`; submission: MAIL only after AUTH,
 * RFC 6409 §4.3), known MAIL/RCPT parameters only (RFC 5321 §4.1.1.11), addresses checked and
 * given their destination key, recipients per message (452 4.5.3), AUTH against the users file
 * with a bound on failures. DATA is data.ts.
 * Must never: relay for a client outside `networks` without AUTH; accept AUTH as another user.
 */
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerOptions,
  SMTPServerSession,
} from 'smtp-server';
import { publishDisconnected } from './channels.ts';
import { facts, flagsOf, rejected, state, type Done, type ListenerContext } from './context.ts';
import { onData } from './data.ts';
import {
  checkAddress,
  checkEnvid,
  isRefusal,
  mailFlags,
  printable,
  unknownParameter,
  type Refusal,
} from './envelope.ts';

const MAX_AUTH_FAILURES = 3;

function onMailFrom(
  ctx: ListenerContext,
  address: SMTPServerAddress,
  session: SMTPServerSession,
  done: Done,
): void {
  const st = state(ctx, session);
  // RFC 6409 §4.3: a submission server requires authentication (the library enforces it too).
  if (ctx.mode === 'submission' && typeof session.user !== 'string') {
    done(rejected(ctx, session, 'mail', { code: 530, enhanced: '5.7.0', text: 'Authentication required' }));
    return;
  }
  const flags = mailFlags(address.args);
  const bad = unknownParameter(address.args, 'MAIL') ?? checkEnvid(flags.envid);
  if (bad !== undefined) {
    done(rejected(ctx, session, 'mail', bad));
    return;
  }
  if (address.address === '') {
    st.from = '';
    done();
    return;
  }
  const checked = checkAddress(address.address, { smtputf8: flags.smtputf8, role: 'sender' });
  if (isRefusal(checked)) {
    done(rejected(ctx, session, 'mail', checked));
    return;
  }
  st.from = checked.address;
  done();
}

function onRcptTo(
  ctx: ListenerContext,
  address: SMTPServerAddress,
  session: SMTPServerSession,
  done: Done,
): void {
  const refusal = rcptRefusal(ctx, address, session);
  if (refusal !== undefined) {
    done(rejected(ctx, session, 'rcpt', refusal, { recipient: printable(address.address) }));
    return;
  }
  done();
}

function rcptRefusal(
  ctx: ListenerContext,
  address: SMTPServerAddress,
  session: SMTPServerSession,
): Refusal | undefined {
  const who = printable(address.address);
  // No open relay: every recipient is non-local, so only trusted clients may name one.
  if (
    ctx.mode === 'relay' &&
    !ctx.networks.check(session.remoteAddress, session.remoteAddress.includes(':') ? 'ipv6' : 'ipv4')
  )
    return { code: 554, enhanced: '5.7.1', text: `<${who}>: Relay access denied` };
  const bad = unknownParameter(address.args, 'RCPT');
  if (bad !== undefined) return bad;
  if (!address.address.includes('@'))
    return { code: 550, enhanced: '5.1.1', text: `<${who}>: no local mailboxes here (an outbound relay)` };
  const seen = session.envelope.rcptTo.some((a) => a.address.toLowerCase() === address.address.toLowerCase());
  if (!seen && session.envelope.rcptTo.length >= ctx.limits.recipients)
    return { code: 452, enhanced: '4.5.3', text: 'Too many recipients' };
  const checked = checkAddress(address.address, { smtputf8: flagsOf(session).smtputf8, role: 'recipient' });
  return isRefusal(checked) ? checked : undefined;
}

async function onAuth(
  ctx: ListenerContext,
  auth: SMTPServerAuthentication,
  session: SMTPServerSession,
  done: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void,
): Promise<void> {
  const st = state(ctx, session);
  const name = auth.username ?? '';
  // RFC 4616 §2: no acting as another identity (authzid must be empty or the same).
  const proxy = auth.method === 'PLAIN' && (auth.authzid ?? '') !== '' && auth.authzid !== auth.authcid;
  let ok: boolean;
  try {
    ok = !proxy && ctx.users !== undefined && (await ctx.users.verify(name, auth.password ?? ''));
  } catch {
    done(
      rejected(ctx, session, 'auth', {
        code: 454,
        enhanced: '4.7.0',
        text: 'Temporary authentication failure',
      }),
    );
    return;
  }
  if (ok) {
    done(null, { user: name });
    return;
  }
  st.authFailures++;
  const last = st.authFailures >= MAX_AUTH_FAILURES;
  const r: Refusal = last
    ? { code: 421, enhanced: '4.7.0', text: 'Too many failed authentication attempts; closing' }
    : { code: 535, enhanced: '5.7.8', text: 'Authentication credentials invalid' };
  rejected(ctx, session, 'auth', r);
  done(null, { responseCode: r.code, message: `${r.enhanced} ${r.text}` });
}

/** smtp-server hooks for one listener. */
export function hooks(
  ctx: ListenerContext,
): Pick<SMTPServerOptions, 'onConnect' | 'onAuth' | 'onMailFrom' | 'onRcptTo' | 'onData' | 'onClose'> {
  return {
    onConnect: (session, done) => {
      ctx.sessions.set(session.id, { inData: false, closed: false, authFailures: 0, from: '' });
      done();
    },
    onAuth: (auth, session, done) => void onAuth(ctx, auth, session, done),
    onMailFrom: (address, session, done) => {
      onMailFrom(ctx, address, session, done);
    },
    onRcptTo: (address, session, done) => {
      onRcptTo(ctx, address, session, done);
    },
    onData: (stream, session, done) => {
      onData(ctx, stream, session, done);
    },
    onClose: (session) => {
      const st = ctx.sessions.get(session.id);
      if (st !== undefined) st.closed = true;
      ctx.sessions.delete(session.id);
      const event = facts(ctx, session);
      publishDisconnected(event);
      ctx.onEvent?.({ type: 'disconnected', ...event });
    },
  };
}
