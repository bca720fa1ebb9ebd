/**
 * The delivery layer's diagnostics channels (names declared in util/diagnostics.ts), each with
 * its payload type: every transcript line, every DANE verdict and every attempt record as it
 * happens, with the destination domain. Core code publishes; obs/ subscribes.
 */
import { ChannelName, TypedChannel } from '../util/index.ts';
import type { AttemptRecord } from './types.ts';

/** `mta:delivery:log`: one transcript line of a delivery to `domain`. */
export interface DeliveryLogMessage {
  domain: string;
  line: string;
}

/** `mta:dane:verdict`: the DANE verdict on one TLS peer. */
export type DaneVerdictMessage = {
  domain: string;
  mx: string;
  address: string;
  reason: string;
} & ({ ok: true; usage: 2 | 3; depth: number; tlsa: string } | { ok: false; code: string });

/** `mta:delivery:attempt`: one finished connection attempt (the CLI contract's record). */
export type AttemptMessage = AttemptRecord & { domain: string };

export const deliveryLogChannel = new TypedChannel<DeliveryLogMessage>(ChannelName.DELIVERY_LOG);
export const daneVerdictChannel = new TypedChannel<DaneVerdictMessage>(ChannelName.DANE_VERDICT);
export const attemptChannel = new TypedChannel<AttemptMessage>(ChannelName.DELIVERY_ATTEMPT);
