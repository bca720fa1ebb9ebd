/**
 * The human form of a check report (`dane-mta check` without --json): the verdict, a readable
 * report per MX host and address — DNSSEC status of MX, addresses and TLSA, the records and
 * which are usable, STARTTLS, the handshake, the chain, which record matched at which depth —
 * the zones, and then the findings, worst first, each with its fix. Pure formatting.
 * Everything that came from DNS or a peer is already escaped by the modules that made it.
 */
import type { AddressReport, CheckReport, Finding, HostReport, ZoneReport } from './types.ts';

const VERDICT_TEXT: Readonly<Record<CheckReport['verdict'], string>> = {
  ok: 'OK — no problems found',
  warning: 'WARNING — nothing fails now, but there are risks to fix',
  error: 'ERROR — DANE fails or mail is deferred: fix the errors below',
  unknown: 'UNKNOWN — some lookups or connections failed, so the check could not tell',
};

function addressLines(a: AddressReport): string[] {
  if (!a.probed) return [`    ${a.address}: ${a.error ?? 'not connected'}`];
  const tls = a.starttls === null ? 'no EHLO reply' : a.starttls ? 'STARTTLS offered' : 'no STARTTLS';
  const lines = [
    `    ${a.address}: ${tls}${a.tls === null ? '' : `, ${a.tls}`}${a.error === null ? '' : ` — ${a.error}`}`,
  ];
  for (const c of a.chain) {
    lines.push(
      `      cert ${c.depth}: ${c.subject} (issuer ${c.issuer}, expires ${c.notAfter.slice(0, 10)})`,
    );
  }
  if (a.dane !== null) {
    const where =
      a.dane.record === null ? '' : ` [${a.dane.record.slice(0, 24)}… at depth ${a.dane.depth ?? '?'}]`;
    lines.push(`      DANE: ${a.dane.result}${where}: ${a.dane.reason}`);
  }
  return lines;
}

function hostLines(h: HostReport): string[] {
  const pref = h.preference === null ? 'implicit MX' : `preference ${h.preference}`;
  const lines = [`  ${h.name} (${pref})${h.canonical === null ? '' : ` → ${h.canonical}`}`];
  lines.push(`    addresses: ${h.dnssec ?? 'lookup failed'}${h.secure ? ' (DANE may apply)' : ' (no DANE)'}`);
  if (h.tlsa === null) lines.push('    TLSA: none');
  else if (h.tlsa.failed) lines.push(`    TLSA at ${h.tlsa.owner}: lookup failed (${h.tlsa.status})`);
  else {
    lines.push(`    TLSA at ${h.tlsa.owner} (${h.tlsa.status}):`);
    for (const r of h.tlsa.records)
      lines.push(`      ${r}${h.tlsa.usable.includes(r) ? '' : '  (not used)'}`);
  }
  for (const a of h.addresses) lines.push(...addressLines(a));
  return lines;
}

function zoneLine(z: ZoneReport): string {
  const nsec3 =
    z.nsec3 === null
      ? ''
      : `, NSEC3 iterations ${z.nsec3.iterations}${z.nsec3.salt === '' ? '' : ` salt ${z.nsec3.salt}`}`;
  const exp =
    z.signaturesExpire === null
      ? ''
      : `, earliest signature expiry ${z.signaturesExpire.slice(0, 16).replace('T', ' ')}`;
  return `  ${z.apex}: ${z.status}${nsec3}${exp}`;
}

function findingLines(f: Finding): string[] {
  const lines = [
    `  ${f.severity.toUpperCase().padEnd(7)} ${f.code}${f.host === null ? '' : ` (${f.host})`}: ${f.message}`,
  ];
  if (f.fix !== null) lines.push(`          fix: ${f.fix}`);
  return lines;
}

/** The report as text, ending with a newline. */
export function reportText(r: CheckReport): string {
  const mx = r.mx.status === null ? r.mx.kind : `${r.mx.kind}, ${r.mx.status}`;
  const lines = [
    `DANE check of ${r.domain} (SMTP port ${r.port}): ${VERDICT_TEXT[r.verdict]}`,
    '',
    `MX: ${mx}`,
  ];
  for (const h of r.hosts) lines.push(...hostLines(h));
  if (r.zones.length > 0) lines.push('', 'Zones:', ...r.zones.map(zoneLine));
  lines.push('', r.findings.length === 0 ? 'Findings: none' : 'Findings:');
  for (const f of r.findings) lines.push(...findingLines(f));
  return `${lines.join('\n')}\n`;
}
