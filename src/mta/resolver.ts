/**
 * The validating resolver as everyone builds it (DESIGN.md "DNS resolution modes"): the CLI's
 * DNS flags, the daemon's `dns:` section, the lab's callers and library users describe what they
 * want as `DnsSettings` (plain data) and `createResolver` wires dns/transport's UDP/TCP client,
 * the clock and CSPRNG, the trust anchors (the IANA root KSKs unless replaced, RFC 4033 §5) and
 * the root hints (IANA's unless replaced) into a ready `Resolver`.
 * Must never: fall back to another mode, to the built-in anchors or to other servers when the
 * given ones are unusable — a wrong setting is a `MtaSetupError` naming it.
 */
import { parseTrustAnchors, rootTrustAnchors, type TrustAnchorRecord } from '../dns/dnssec/index.ts';
import {
  ForwardingUpstream,
  IANA_ROOT_HINTS,
  IterativeUpstream,
  Resolver,
  rootHintsFromRecords,
  TrustAnchors,
  type Limits,
  type ResolverMode,
  type RootHint,
  type Upstream,
} from '../dns/resolver/index.ts';
import {
  createExchange,
  parseServerSpec,
  readResolvConf,
  type ServerAddress,
} from '../dns/transport/index.ts';
import { parseZone } from '../dns/wire/index.ts';
import {
  cryptoRandom,
  describeError,
  isMtaError,
  MtaError,
  systemClock,
  type Clock,
  type Random,
} from '../util/index.ts';

/** How to resolve: plain data, filled from CLI flags, the daemon's config or by a library user. */
export interface DnsSettings {
  /** `validate` (default), `recursive` or `trust-ad`. */
  mode?: ResolverMode;
  /**
   * Upstream resolvers for `validate` and `trust-ad`, as `ADDR[:PORT]` (IPv6 as `[::1]:53`).
   * Default: the nameservers of `resolvConf`.
   */
  resolvers?: readonly string[];
  /** resolv.conf to read when `resolvers` is not given (default `/etc/resolv.conf`). */
  resolvConf?: string;
  /**
   * Trust anchors: DS or DNSKEY records in zone-file text (or parsed). All of them together
   * replace the built-in IANA root KSKs (20326, 38696).
   */
  trustAnchors?: string | readonly TrustAnchorRecord[];
  /** Root hints for `recursive` as zone-file text (default: the IANA root servers). */
  rootHints?: string | readonly RootHint[];
  /** Port of every authoritative server in `recursive` (default 53; labs use others). */
  port?: number;
  /** Timeout of one DNS query try, in ms (default: dns/transport's). */
  timeoutMs?: number;
  /** Tries per server (default: dns/transport's). */
  attempts?: number;
  /** Resolver limits (work budgets, cache sizes). */
  limits?: Partial<Limits>;
}

/** Injected time and randomness (tests pin them). */
export interface Deps {
  clock?: Clock;
  random?: Random;
  /** Called with each resolv.conf warning. */
  onWarning?: (text: string) => void;
}

export type MtaSetupErrorCode = 'MTA_ERR_SETTING' | 'MTA_ERR_TRUST_AD_NOT_LOOPBACK';

/**
 * A setting that cannot work (an unparsable trust anchor, a bad resolver address, trust-ad with
 * a remote resolver). `setting` names it (`dns.resolvers`, `dns.trust_anchors`, …).
 */
export class MtaSetupError extends MtaError<MtaSetupErrorCode> {
  readonly setting: string;
  constructor(code: MtaSetupErrorCode, setting: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'MtaSetupError';
    this.setting = setting;
  }
}

const MODES: readonly ResolverMode[] = ['validate', 'recursive', 'trust-ad'];

/** Trust anchors from settings: the given records, or the built-in IANA root KSKs. */
export function trustAnchorsOf(settings: Pick<DnsSettings, 'trustAnchors'>): TrustAnchors {
  const given = settings.trustAnchors;
  if (given === undefined) return new TrustAnchors(rootTrustAnchors());
  if (typeof given !== 'string') return new TrustAnchors([...given]);
  try {
    const records = parseTrustAnchors(given);
    if (records.length === 0) throw new Error('no DS or DNSKEY record in it');
    return new TrustAnchors(records);
  } catch (e) {
    throw new MtaSetupError('MTA_ERR_SETTING', 'trustAnchors', `invalid trust anchors: ${describeError(e)}`, {
      cause: e,
    });
  }
}

function rootHintsOf(settings: DnsSettings): readonly RootHint[] {
  const given = settings.rootHints;
  if (given === undefined) return IANA_ROOT_HINTS;
  if (typeof given !== 'string') return given;
  let parsed: ReturnType<typeof rootHintsFromRecords>;
  try {
    parsed = rootHintsFromRecords(parseZone(given));
  } catch (e) {
    throw new MtaSetupError('MTA_ERR_SETTING', 'rootHints', `invalid root hints: ${describeError(e)}`, {
      cause: e,
    });
  }
  if ('error' in parsed)
    throw new MtaSetupError('MTA_ERR_SETTING', 'rootHints', `invalid root hints: ${parsed.error}`);
  return parsed.hints;
}

/** The upstream servers: the given specs, or resolv.conf's nameservers. */
function serversOf(settings: DnsSettings, deps: Deps): { servers: ServerAddress[]; given: boolean } {
  const specs = settings.resolvers ?? [];
  if (specs.length > 0) {
    try {
      return { servers: specs.map((s) => parseServerSpec(s)), given: true };
    } catch (e) {
      throw new MtaSetupError('MTA_ERR_SETTING', 'resolvers', describeError(e), { cause: e });
    }
  }
  const conf = readResolvConf(settings.resolvConf === undefined ? {} : { path: settings.resolvConf });
  for (const w of conf.warnings) deps.onWarning?.(`resolv.conf: ${w}`);
  return { servers: conf.servers, given: false };
}

/** Settings that contradict the mode are refused rather than silently ignored. */
function checkSettings(settings: DnsSettings, mode: ResolverMode): void {
  const bad = (setting: string, message: string): never => {
    throw new MtaSetupError('MTA_ERR_SETTING', setting, message);
  };
  if (!MODES.includes(mode)) bad('mode', `DNS mode '${mode as string}' is not one of ${MODES.join(', ')}`);
  if (mode === 'recursive' && (settings.resolvers?.length ?? 0) > 0)
    bad('resolvers', 'resolvers do not apply to DNS mode recursive (it asks the root servers)');
  if (mode !== 'recursive' && settings.rootHints !== undefined)
    bad('rootHints', 'root hints apply only to DNS mode recursive');
  if (mode !== 'recursive' && settings.port !== undefined)
    bad('port', 'an authoritative DNS port applies only to DNS mode recursive');
  if (mode === 'trust-ad' && settings.trustAnchors !== undefined)
    bad('trustAnchors', 'trust anchors do not apply to DNS mode trust-ad (the resolver validates)');
}

/**
 * Build the validating resolver the settings describe. Throws `MtaSetupError` for a setting that
 * cannot work; mode trust-ad is refused unless every resolver is on loopback (127.0.0.0/8, ::1),
 * as Postfix and Maddy require (`MTA_ERR_TRUST_AD_NOT_LOOPBACK`, `given` tells whether the
 * resolvers were named or came from resolv.conf).
 */
export function createResolver(settings: DnsSettings = {}, deps: Deps = {}): Resolver {
  const mode = settings.mode ?? 'validate';
  checkSettings(settings, mode);
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? cryptoRandom;
  const anchors = trustAnchorsOf(settings);
  const exchange = createExchange({
    random,
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
    ...(settings.attempts === undefined ? {} : { attempts: settings.attempts }),
  });
  const limits = settings.limits === undefined ? {} : { limits: settings.limits };
  let upstream: Upstream;
  if (mode === 'recursive') {
    upstream = new IterativeUpstream(rootHintsOf(settings), exchange, {
      clock,
      random,
      ...(settings.port === undefined ? {} : { port: settings.port }),
    });
    return new Resolver({ upstream, mode, anchors, clock, ...limits });
  }
  const { servers, given } = serversOf(settings, deps);
  upstream = new ForwardingUpstream(servers, exchange, { random, checkingDisabled: mode === 'validate' });
  try {
    return new Resolver({ upstream, mode, anchors, clock, ...limits });
  } catch (e) {
    if (!isMtaError(e, 'DNS_ERR_TRUST_AD_NOT_LOOPBACK')) throw e;
    const where = given ? '' : ' (from resolv.conf)';
    throw new MtaSetupError('MTA_ERR_TRUST_AD_NOT_LOOPBACK', 'resolvers', `${e.message}${where}`, {
      cause: e,
    });
  }
}
