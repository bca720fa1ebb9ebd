/**
 * Every node:diagnostics_channel dane-mta publishes on, declared once (the undici way): the
 * names here, and `TypedChannel`, which each publishing layer instantiates once with its
 * payload type (dns/transport, dns/resolver, smtp/client, delivery, smtp/server, the daemon).
 * Core code publishes; obs/ and library users subscribe — core code never imports a logger.
 * Must never: let a subscriber's exception reach the publisher's caller.
 */
import { channel, subscribe, unsubscribe, type Channel } from 'node:diagnostics_channel';

/** The channel names (a contract for subscribers: keep them stable). */
export const ChannelName = {
  /** One DNS query try (dns/transport `DnsQueryEvent`). */
  DNS_QUERY: 'mta:dns:query',
  /** A DNS reply that was not accepted (dns/transport `DnsDropEvent`). */
  DNS_REPLY_DROPPED: 'mta:dns:reply-dropped',
  /** One answer of the validating resolver with its DNSSEC status (dns/resolver). */
  DNS_ANSWER: 'mta:dns:answer',
  /** A reply the SMTP client received (smtp/client `SmtpChannelMessage`). */
  SMTP_REPLY: 'mta:smtp:reply',
  /** A command the SMTP client sent (smtp/client `SmtpChannelMessage`). */
  SMTP_COMMAND: 'mta:smtp:command',
  /** One transcript line of a delivery (delivery `DeliveryLogMessage`). */
  DELIVERY_LOG: 'mta:delivery:log',
  /** One DANE peer verdict (delivery `DaneVerdictMessage`). */
  DANE_VERDICT: 'mta:dane:verdict',
  /** One finished connection attempt (delivery `AttemptMessage`). */
  DELIVERY_ATTEMPT: 'mta:delivery:attempt',
  /** A message accepted by SMTP intake (smtp/server). */
  INTAKE_ACCEPTED: 'mta:intake:accepted',
  /** A transaction refused by SMTP intake (smtp/server). */
  INTAKE_REJECTED: 'mta:intake:rejected',
  /** A client connection to SMTP intake ended (smtp/server). */
  INTAKE_DISCONNECTED: 'mta:intake:disconnected',
  /** A queue event of the daemon: delivered, deferred, bounced, held, released, expired … */
  QUEUE_EVENT: 'mta:queue:event',
} as const;
export type ChannelName = (typeof ChannelName)[keyof typeof ChannelName];

/** A diagnostics channel whose payload type is fixed at its one declaration. */
export class TypedChannel<T extends object> {
  readonly name: ChannelName;
  readonly #channel: Channel;

  constructor(name: ChannelName) {
    this.name = name;
    this.#channel = channel(name);
  }

  /** True when someone listens (publishers skip building payloads otherwise). */
  get hasSubscribers(): boolean {
    return this.#channel.hasSubscribers;
  }

  /** Publish one message (a no-op without subscribers). */
  publish(message: T): void {
    if (!this.#channel.hasSubscribers) return;
    try {
      this.#channel.publish(message);
    } catch {
      // node:diagnostics_channel reports a subscriber's throw on process.nextTick; nothing here.
    }
  }

  /** Subscribe with the payload's type; returns the unsubscribe function. */
  subscribe(listener: (message: T) => void): () => void {
    const handler = (message: unknown): void => {
      listener(message as T);
    };
    subscribe(this.name, handler);
    return () => {
      unsubscribe(this.name, handler);
    };
  }
}
