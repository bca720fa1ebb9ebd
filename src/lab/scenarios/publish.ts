/**
 * Publishing new TLSA records for an MX host of a running simulated Internet — what an operator
 * does to fix a botched renewal (RFC 7671 §8.1: publish the record of the new key): the TLSA
 * RRset at `_<port>._tcp.<host>` (RFC 6698 §3) is replaced, the zone's SOA serial bumped and the
 * zone re-signed with its own keys; the scenario's other broken signatures stay broken.
 * Records are given relative to the host's certificates (TlsaSpec) or as rdata text
 * (`3 1 1 <hex>`). Pure: zones in, zones out; the Internet serves the result.
 */
import { formatRdata, Name, parseRr, RRType, type Rr } from '../../dns/wire/index.ts';
import { describeError } from '../../util/index.ts';
import { replaceRrset, isSignedZone } from '../dns/zone-edit.ts';
import { tlsaRdataText, type LabPki } from '../pki/lab-pki.ts';
import { applyBreaks, LAB_TTL, type PlannedZone, type PreparedHost } from './build.ts';
import { LabScenarioError } from './error.ts';
import type { Scenario, TlsaSpec } from './types.ts';

/** A TLSA record to publish: relative to the host's certificates, or rdata text `3 1 1 <hex>`. */
export type TlsaRecordSpec = TlsaSpec | string;

/** What was published. */
export interface TlsaPublication {
  /** The TLSA owner name (absolute, lower case). */
  readonly owner: string;
  /** The zone that holds it. */
  readonly zone: string;
  /** The records now served, as rdata text (none: the RRset was removed). */
  readonly records: readonly string[];
  /** The zone's new SOA serial. */
  readonly serial: number;
}

/** Everything `publishTlsa` needs to know about the running Internet. */
export interface PublishContext {
  readonly zones: readonly PlannedZone[];
  readonly hosts: readonly PreparedHost[];
  readonly scenarios: readonly Scenario[];
  readonly pki: LabPki;
  readonly smtpPort: number;
}

function refuse(message: string, cause?: unknown): never {
  throw new LabScenarioError('LAB_ERR_PUBLISH', message, cause === undefined ? {} : { cause });
}

function hostNamed(ctx: PublishContext, host: string): PreparedHost {
  const want = host.toLowerCase().replace(/\.$/, '');
  const found = ctx.hosts.find((h) => h.spec.name.toLowerCase() === want);
  return found ?? refuse(`no MX host ${host} in this lab`);
}

/** The deepest zone holding `name`. */
function zoneIndexOf(zones: readonly PlannedZone[], name: Name): number {
  let best = -1;
  zones.forEach((z, i) => {
    const origin = Name.parse(z.origin);
    if (!name.isSubdomainOf(origin)) return;
    if (best < 0 || origin.labelCount > Name.parse(zones[best]?.origin ?? '.').labelCount) best = i;
  });
  return best < 0 ? refuse(`no zone holds ${name.toString()}`) : best;
}

function recordsFor(
  owner: Name,
  specs: readonly TlsaRecordSpec[],
  ctx: PublishContext,
  h: PreparedHost,
): Rr[] {
  return specs.map((spec) => {
    let text: string;
    try {
      text = typeof spec === 'string' ? spec : tlsaRdataText(spec, { pki: ctx.pki, certs: h.certs });
    } catch (e) {
      return refuse(`cannot make a TLSA record for ${h.spec.name}: ${describeError(e)}`, e);
    }
    try {
      return parseRr(`${owner.toString()} ${LAB_TTL} IN TLSA ${text}`);
    } catch (e) {
      return refuse(`bad TLSA record ${JSON.stringify(text)}: ${describeError(e)}`, e);
    }
  });
}

/**
 * Replace the TLSA RRset of MX host `host` ([] removes it). Returns the zones to serve from now
 * on and what was published. Throws LAB_ERR_PUBLISH for an unknown host or a bad record.
 */
export function replaceHostTlsa(
  ctx: PublishContext,
  host: string,
  specs: readonly TlsaRecordSpec[],
): { zones: PlannedZone[]; publication: TlsaPublication } {
  const h = hostNamed(ctx, host);
  const owner = Name.parse(`_${ctx.smtpPort}._tcp.${h.spec.tlsaAt ?? h.spec.name}.`);
  const records = recordsFor(owner, specs, ctx, h);
  const at = zoneIndexOf(ctx.zones, owner);
  const planned = ctx.zones[at] as PlannedZone;
  const replacement = { name: owner, type: RRType.TLSA, records };
  let data = planned.data;
  let serial: number;
  if (isSignedZone(data)) {
    const next = replaceRrset(data, replacement);
    const spec = ctx.scenarios.flatMap((s) => s.zones).find((z) => Name.parse(z.origin).equals(data.origin));
    data =
      spec === undefined
        ? next.zone
        : applyBreaks(next.zone, spec, { port: ctx.smtpPort, keep: replacement });
    serial = next.serial;
  } else {
    ({ zone: data, serial } = replaceRrset(data, replacement));
  }
  const zones = ctx.zones.map((z, i) => (i === at ? { ...z, data } : z));
  const publication: TlsaPublication = {
    owner: owner.toString().toLowerCase(),
    zone: planned.origin,
    records: records.map(formatRdata),
    serial,
  };
  return { zones, publication };
}
