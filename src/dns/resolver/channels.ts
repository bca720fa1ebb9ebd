/**
 * The resolver's diagnostics channel (name declared in util/diagnostics.ts): every answer a
 * caller gets, with its DNSSEC status (RFC 4035 §4.3), so the daemon can count statuses
 * (`dane_mta_dnssec_answers_total{status}`) without the resolver importing a metrics library.
 */
import type { Proof } from '../dnssec/index.ts';
import { ChannelName, TypedChannel } from '../../util/index.ts';

/** `mta:dns:answer`: one answer handed to a caller (cached ones included). */
export interface DnsAnswerMessage {
  name: string;
  type: number;
  kind: 'answer' | 'nodata' | 'nxdomain' | 'failed';
  status: Proof;
  fromCache: boolean;
  reason: string | null;
}

export const dnsAnswerChannel = new TypedChannel<DnsAnswerMessage>(ChannelName.DNS_ANSWER);
