/**
 * Transcript events: delivered to the caller's onEvent and published on the typed diagnostics
 * channels `mta:smtp:reply` and `mta:smtp:command` (declared once in util/diagnostics.ts), so
 * obs/ can log and count without the client importing a logger.
 * Must never: let an observer's exception change the course of a transaction; log by itself.
 */
import { ChannelName, TypedChannel } from '../../util/index.ts';
import type { SmtpEvent } from './types.ts';

/** Message published on `mta:smtp:reply` / `mta:smtp:command`: the event plus the peer. */
export type SmtpChannelMessage = SmtpEvent & { address: string; port: number };

/** Every reply the client receives, with the peer's address and port. */
export const smtpReplyChannel = new TypedChannel<SmtpChannelMessage>(ChannelName.SMTP_REPLY);
/** Every command the client sends, with the peer's address and port. */
export const smtpCommandChannel = new TypedChannel<SmtpChannelMessage>(ChannelName.SMTP_COMMAND);

/** Make an emitter for one transaction. */
export function eventEmitter(
  peer: { address: string; port: number },
  onEvent: ((e: SmtpEvent) => void) | undefined,
): (e: SmtpEvent) => void {
  return (event) => {
    if (onEvent !== undefined) {
      try {
        onEvent(event);
      } catch {
        // An observer's bug must not change delivery; it is the observer's to fix.
      }
    }
    const channel =
      event.type === 'reply' ? smtpReplyChannel : event.type === 'command' ? smtpCommandChannel : undefined;
    if (channel?.hasSubscribers === true)
      channel.publish({ ...event, address: peer.address, port: peer.port });
  };
}
