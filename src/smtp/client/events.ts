/**
 * Transcript events: delivered to the caller's onEvent and published on
 * node:diagnostics_channel (`mta:smtp:reply`, `mta:smtp:command`) so obs/ can log and count
 * without the client importing a logger.
 * Must never: let an observer's exception change the course of a transaction; log by itself.
 */
import diagnostics from 'node:diagnostics_channel';
import type { SmtpEvent } from './types.ts';

/** Channel names this module publishes on. */
export const SmtpChannel = {
  REPLY: 'mta:smtp:reply',
  COMMAND: 'mta:smtp:command',
} as const;

const replyChannel = diagnostics.channel(SmtpChannel.REPLY);
const commandChannel = diagnostics.channel(SmtpChannel.COMMAND);

/** Message published on `mta:smtp:reply` / `mta:smtp:command`: the event plus the peer. */
export type SmtpChannelMessage = SmtpEvent & { address: string; port: number };

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
      event.type === 'reply' ? replyChannel : event.type === 'command' ? commandChannel : undefined;
    if (channel?.hasSubscribers === true) {
      const message: SmtpChannelMessage = { ...event, address: peer.address, port: peer.port };
      channel.publish(message);
    }
  };
}
