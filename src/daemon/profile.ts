/**
 * From the configuration's per-destination policy to the transport profile delivery uses
 * (issue #9: one profile that the CLI, the daemon and library users fill), and RFC 8689
 * REQUIRETLS: a message that asked for it goes out only over authenticated TLS — DANE, or PKIX
 * where no DANE applies — and never through DANE on a host reached by an insecure MX RRset
 * (RFC 8689 §4.2.1 wants the MX lookup DNSSEC-validated for that).
 */
import type { DestinationPolicy } from '../config/index.ts';
import type { TransportProfile } from '../delivery/index.ts';
import type { TlsMode } from '../policy/index.ts';
import { uniformTimeouts } from '../smtp/client/index.ts';

/** The settings that are the same for every destination. */
export interface ProfileBase {
  helo: string;
  source?: string;
  /** Cap on every SMTP wait, ms. */
  timeoutMs?: number;
  /** Extra PKIX roots (PEM texts). */
  ca: readonly string[];
}

/** Modes that already demand authenticated TLS. */
const AUTHENTICATED: readonly TlsMode[] = ['dane_require', 'require_verify', 'dane_fallback_require_verify'];

/** The mode a REQUIRETLS message gets under a destination's mode. */
export function requireTlsMode(mode: TlsMode): TlsMode {
  return AUTHENTICATED.includes(mode) ? mode : 'dane_fallback_require_verify';
}

export function profileFor(
  policy: DestinationPolicy,
  base: ProfileBase,
  opts: { requireTls: boolean },
): TransportProfile {
  const profile: TransportProfile = {
    tlsMode: opts.requireTls ? requireTlsMode(policy.tls) : policy.tls,
    insecureMx: opts.requireTls ? 'may' : policy.insecure_mx,
    port: policy.port,
    helo: base.helo,
    messagesPerConnection: policy.messages_per_connection,
  };
  if (base.source !== undefined) profile.localAddress = base.source;
  if (base.timeoutMs !== undefined) profile.timeouts = uniformTimeouts(base.timeoutMs);
  if (base.ca.length > 0) profile.ca = base.ca;
  return profile;
}
