/**
 * A small signed DNS tree for resolver tests, served in-process: zones signed by the lab's
 * signer (src/lab), each on its own fake server address, with NS, glue and DS in the parents,
 * answered by the lab's authoritative answer function through a `DnsExchange` that encodes and
 * decodes every message (so the wire codec is exercised). A `tamper` hook lets hostile tests
 * rewrite or drop replies, and `recursiveExchange` plays a recursive resolver for mode
 * `validate`. Test-only; no sockets.
 */
import {
  answerQuery,
  delegationRecords,
  generateZoneKey,
  signZone,
  ZoneIndex,
  type DenialMode,
  type SignedZone,
  type ZoneAlgorithm,
  type ZoneData,
  type ZoneKeys,
} from '../../src/lab/index.ts';
import {
  ForwardingUpstream,
  IterativeUpstream,
  Resolver,
  TrustAnchors,
  type DnsExchange,
  type ExchangeResult,
  type ResolverOptions,
  type RootHint,
  type ServerAddress,
} from '../../src/dns/resolver/index.ts';
import {
  decodeMessage,
  encodeMessage,
  makeRr,
  Name,
  parseZone,
  RRType,
  typeToString,
  type DsRdata,
  type Message,
  type Rr,
} from '../../src/dns/wire/index.ts';
import { FixedClock, seededRandom } from '../../src/util/index.ts';

/** Signature window of every world: inception, expiration and "now" inside it. */
export const INCEPTION = 1_700_000_000;
export const EXPIRATION = INCEPTION + 30 * 86_400;
export const NOW = INCEPTION + 86_400;

export type Denial = 'nsec' | 'nsec3' | 'optout' | { iterations: number };

export interface ZoneSpec {
  /** Absolute zone name ('.', 'example.', 'sub.example.'). */
  origin: string;
  /** Records (names relative to the origin); SOA, NS and the server's glue are added. */
  records?: string;
  /** Loopback-looking fake address of the zone's server (default: derived from the origin). */
  address?: string;
  /** How the zone is signed; false leaves it unsigned (no DS in the parent). */
  sign?: Denial | false;
  algorithm?: ZoneAlgorithm;
  /** Break the signed zone after signing (lab breakage helpers). */
  mutate?: (zone: SignedZone) => SignedZone;
  /** DS records to publish in the parent instead of the real ones ([] = none). */
  parentDs?: DsRdata[];
  /** Signature window override. */
  window?: { inception: number; expiration: number };
  /** A second server for the zone (NS `ns2`, same data), e.g. to play a broken secondary. */
  secondary?: boolean;
}

/** One exchange as the fake network saw it. */
export interface Exchange {
  server: string;
  qname: string;
  qtype: string;
  rd: boolean;
  cd: boolean;
  do: boolean;
}

/** Rewrite a reply (return undefined to drop it: a timeout). */
export type Tamper = (query: Message, server: string, reply: Message) => Message | undefined;

const keyCache = new Map<ZoneAlgorithm, ZoneKeys>();

function keysFor(algorithm: ZoneAlgorithm): ZoneKeys {
  let k = keyCache.get(algorithm);
  if (k === undefined) {
    k = { ksk: generateZoneKey(algorithm, { ksk: true }), zsk: generateZoneKey(algorithm, { ksk: false }) };
    keyCache.set(algorithm, k);
  }
  return k;
}

function denialMode(d: Denial): DenialMode {
  if (d === 'nsec') return 'nsec';
  if (d === 'nsec3') return { nsec3: { iterations: 0, salt: new Uint8Array(0) } };
  if (d === 'optout') return { nsec3: { iterations: 0, salt: new Uint8Array(0), optOut: true } };
  return { nsec3: { iterations: d.iterations, salt: Uint8Array.of(0xaa) } };
}

function nsName(origin: Name, n = 1): Name {
  return origin.isRoot ? Name.parse(`${n === 1 ? 'a' : 'b'}.root-servers.test.`) : origin.prepend(`ns${n}`);
}

/** The name servers of a zone: ns1 at its address, and ns2 at the secondary's when it has one. */
function nameServers(z: {
  origin: Name;
  address: string;
  secondary?: string | undefined;
}): { name: Name; addresses: string[] }[] {
  const out = [{ name: nsName(z.origin), addresses: [z.address] }];
  if (z.secondary !== undefined) out.push({ name: nsName(z.origin, 2), addresses: [z.secondary] });
  return out;
}

/** The built tree. */
export class World {
  readonly zones = new Map<string, SignedZone | ZoneData>();
  readonly byAddress = new Map<string, ZoneIndex[]>();
  readonly log: Exchange[] = [];
  readonly clock = new FixedClock(NOW * 1000);
  rootDs: Rr<DsRdata>[] = [];
  rootAddress = '';
  tamper: Tamper | undefined;
  /** Addresses that never answer. */
  readonly down = new Set<string>();

  /** The exchange of an authoritative server network (mode recursive). */
  readonly net: DnsExchange = {
    exchange: (query, servers) => Promise.resolve(this.#exchange(query, servers)),
  };

  #exchange(query: Message, servers: readonly ServerAddress[]): ExchangeResult {
    for (const server of servers) {
      const reply = this.#ask(query, server.address, this.byAddress.get(server.address));
      if (reply !== undefined) return { ok: true, message: reply, server };
    }
    return { ok: false, reason: 'no server answered (timeout)' };
  }

  #ask(query: Message, address: string, zones: readonly ZoneIndex[] | undefined): Message | undefined {
    const q = query.questions[0];
    this.log.push({
      server: address,
      qname: q?.name.toString() ?? '?',
      qtype: q === undefined ? '?' : typeToString(q.type),
      rd: query.flags.rd,
      cd: query.flags.cd,
      do: query.edns?.do === true,
    });
    if (zones === undefined || this.down.has(address)) return undefined;
    const wireQuery = decodeMessage(encodeMessage(query));
    const answer = answerQuery(wireQuery, zones);
    if (answer === undefined) return undefined;
    const reply = decodeMessage(encodeMessage(answer));
    return this.tamper === undefined ? reply : this.tamper(query, address, reply);
  }

  /**
   * Recursive resolvers over every zone of the world (mode validate's upstream): the servers
   * are asked in order, as the transport does, and the first that answers is used.
   */
  readonly recursive: DnsExchange = {
    exchange: (query, servers) => {
      const all = [...this.byAddress.values()].flat();
      for (const server of servers) {
        if (this.down.has(server.address)) continue;
        const reply = this.#ask(query, server.address, all);
        if (reply !== undefined)
          return Promise.resolve({
            ok: true,
            message: { ...reply, flags: { ...reply.flags, ra: true } },
            server,
          });
      }
      return Promise.resolve({ ok: false, reason: 'timeout' });
    },
  };

  get hints(): RootHint[] {
    return [{ name: Name.parse('a.root-servers.test.'), addresses: [this.rootAddress] }];
  }

  anchors(): TrustAnchors {
    return new TrustAnchors(this.rootDs);
  }

  /** A resolver over this world; mode validate asks `resolvers` (default one, 127.0.0.1). */
  resolver(
    mode: 'recursive' | 'validate' = 'recursive',
    opts: Partial<Omit<ResolverOptions, 'upstream' | 'mode' | 'clock'>> = {},
    resolvers: readonly string[] = ['127.0.0.1'],
  ): Resolver {
    const random = seededRandom(42);
    const upstream =
      mode === 'recursive'
        ? new IterativeUpstream(this.hints, this.net, { clock: this.clock, random })
        : new ForwardingUpstream(
            resolvers.map((address) => ({ address, port: 53 })),
            this.recursive,
            { random, checkingDisabled: true },
          );
    return new Resolver({ anchors: this.anchors(), ...opts, upstream, mode, clock: this.clock });
  }

  /** Exchanges for (name, type) in the log. */
  asked(name: string, type: string): Exchange[] {
    const n = Name.parse(name).toString();
    return this.log.filter((e) => e.qname.toLowerCase() === n.toLowerCase() && e.qtype === type);
  }
}

function addressOf(origin: Name, i: number, secondary = false): string {
  const net = secondary ? 11 : 10;
  return origin.isRoot ? `127.${net}.0.1` : `127.${net}.${1 + (i >> 8)}.${1 + (i & 0xff)}`;
}

/** Build a world: zones are signed deepest first so each parent holds its children's DS. */
export function buildWorld(specs: readonly ZoneSpec[]): World {
  const world = new World();
  const parsed = specs.map((s, i) => ({
    spec: s,
    origin: Name.parse(s.origin),
    address: s.address ?? addressOf(Name.parse(s.origin), i),
    secondary: s.secondary === true ? addressOf(Name.parse(s.origin), i, true) : undefined,
  }));
  const byDepth = [...parsed].sort((a, b) => b.origin.labelCount - a.origin.labelCount);
  const built = new Map<string, SignedZone | ZoneData>();
  for (const z of byDepth) {
    const children = parsed.filter((c) => {
      const parent = parsed
        .filter((p) => c.origin.labelCount > p.origin.labelCount && c.origin.isSubdomainOf(p.origin))
        .sort((a, b) => b.origin.labelCount - a.origin.labelCount)[0];
      return parent?.origin.equals(z.origin) === true;
    });
    const delegations = children.flatMap((c) => {
      const child = built.get(c.origin.key());
      const ds = c.spec.parentDs ?? (child !== undefined && 'ds' in child ? [...child.ds] : []);
      return delegationRecords({ origin: c.origin }, { nameServers: nameServers(c), ds });
    });
    const servers = nameServers(z);
    const ns = nsName(z.origin);
    const nsLines = servers.map((s) => `@ IN NS ${s.name.toString()}`).join('\n');
    const base = parseZone(
      `$TTL 3600\n@ IN SOA ${ns.toString()} hostmaster 1 7200 3600 1209600 300\n${nsLines}\n${z.spec.records ?? ''}\n`,
      { origin: z.origin },
    );
    const glue = servers
      .filter((s) => s.name.isSubdomainOf(z.origin))
      .flatMap((s) =>
        s.addresses.map((address) => makeRr({ name: s.name, type: RRType.A, ttl: 3600, data: { address } })),
      );
    const data: ZoneData = { origin: z.origin, records: [...base, ...glue, ...delegations] };
    let zone: SignedZone | ZoneData = data;
    if (z.spec.sign !== false) {
      const algorithm = z.spec.algorithm ?? 13;
      const signed = signZone(data, {
        algorithm,
        keys: keysFor(algorithm),
        denial: denialMode(z.spec.sign ?? 'nsec'),
        inception: z.spec.window?.inception ?? INCEPTION,
        expiration: z.spec.window?.expiration ?? EXPIRATION,
      });
      zone = z.spec.mutate === undefined ? signed : z.spec.mutate(signed);
    }
    built.set(z.origin.key(), zone);
    world.zones.set(z.origin.toString(), zone);
    const index = new ZoneIndex(z.origin, zone.records);
    for (const address of servers.flatMap((s) => s.addresses)) {
      const list = world.byAddress.get(address) ?? [];
      list.push(index);
      world.byAddress.set(address, list);
    }
    if (z.origin.isRoot) {
      world.rootAddress = z.address;
      if ('ds' in zone)
        world.rootDs = zone.ds.map((d) => makeRr({ name: Name.ROOT, type: RRType.DS, ttl: 3600, data: d }));
    }
  }
  return world;
}

/** The usual three-level tree: root, `test.`, `example.test.` (all NSEC, algorithm 13). */
export function basicWorld(
  extra: Partial<Record<'root' | 'tld' | 'example', Partial<ZoneSpec>>> = {},
  more: ZoneSpec[] = [],
): World {
  return buildWorld([
    { origin: '.', ...extra.root },
    { origin: 'test.', ...extra.tld },
    {
      origin: 'example.test.',
      records:
        'www IN A 192.0.2.1\nwww IN AAAA 2001:db8::1\nmail IN MX 10 mx.example.test.\nmx IN A 192.0.2.25\nalias IN CNAME www\n*.wild IN TXT "wild"\n',
      ...extra.example,
    },
    ...more,
  ]);
}
