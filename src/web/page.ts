/**
 * The checker's single page, rendered by the server so it works without JavaScript and loads no
 * external asset: a form that submits by GET to `/?domain=NAME` (so every report has a link to
 * share), the verdict, the findings with their fixes, and per host and address the DNSSEC status,
 * TLSA records, STARTTLS, handshake and DANE result, as readable tables.
 * Must never: put unescaped text into the page — everything shown came from DNS, a server or the
 * visitor; load scripts, fonts or images from anywhere.
 */
import type { AddressReport, CheckReport, Finding, HostReport, ZoneReport } from '../check/index.ts';

/** HTML-escape text for element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const e = escapeHtml;

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1b1f23;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:1.2rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
form{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
input{font:inherit;padding:.45rem .6rem;min-width:18rem;border:1px solid #8a939c;border-radius:4px}
button{font:inherit;padding:.45rem 1rem;border:0;border-radius:4px;background:#1f5fa8;color:#fff;cursor:pointer}
table{border-collapse:collapse;width:100%;background:#fff;margin:.3rem 0}
th,td{border:1px solid #d5d9de;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f4}code{font:13px/1.4 ui-monospace,monospace;word-break:break-all}
code.code{white-space:nowrap;word-break:normal}
.verdict{padding:.7rem 1rem;border-radius:4px;font-weight:600;margin:1rem 0}
.v-ok{background:#dff3e4;color:#14532d}.v-warning{background:#fff4d6;color:#6b4e00}
.v-error{background:#fde2e1;color:#7f1d1d}.v-unknown{background:#e7e9ee;color:#333}
.s-error{color:#b91c1c;font-weight:600}.s-warning{color:#92600a;font-weight:600}.s-info{color:#44505c}
.note{color:#5b6570}.error{background:#fde2e1;padding:.6rem 1rem;border-radius:4px}
`;

const VERDICT: Readonly<Record<CheckReport['verdict'], string>> = {
  ok: 'OK — no problems found',
  warning: 'Warning — nothing fails now, but there are risks to fix',
  error: 'Error — DANE fails or mail is deferred: fix the errors below',
  unknown: 'Unknown — some lookups or connections failed, so the check could not tell',
};

function findingsTable(findings: readonly Finding[]): string {
  if (findings.length === 0) return '<p>No findings.</p>';
  const rows = findings.map(
    (f) =>
      `<tr><td class="s-${f.severity}">${e(f.severity)}</td><td><code class="code">${e(f.code)}</code></td><td>${e(f.host ?? '—')}</td><td>${e(f.message)}</td><td>${f.fix === null ? '' : e(f.fix)}</td></tr>`,
  );
  return `<table id="findings"><thead><tr><th>severity</th><th>code</th><th>host</th><th>what was found</th><th>what to do</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function tlsaCell(h: HostReport): string {
  if (h.tlsa === null) return 'none';
  if (h.tlsa.failed) return `lookup failed (${e(h.tlsa.status)})`;
  const tlsa = h.tlsa;
  const recs = tlsa.records.map(
    (r) => `<code>${e(r)}</code>${tlsa.usable.includes(r) ? '' : ' <span class="note">(not used)</span>'}`,
  );
  return `${e(tlsa.status)} at <code>${e(tlsa.owner)}</code><br>${recs.join('<br>')}`;
}

function daneCell(a: AddressReport): string {
  if (a.dane === null) return '—';
  const at = a.dane.depth === null ? '' : ` (depth ${a.dane.depth})`;
  return `${e(a.dane.result)}${at}: ${e(a.dane.reason)}`;
}

function chainCell(a: AddressReport): string {
  return a.chain
    .map((c) => `${c.depth}: ${e(c.subject)} <span class="note">until ${e(c.notAfter.slice(0, 10))}</span>`)
    .join('<br>');
}

function hostsTable(hosts: readonly HostReport[]): string {
  if (hosts.length === 0) return '<p>No MX hosts.</p>';
  const rows: string[] = [];
  for (const h of hosts) {
    const addrs = h.addresses.length === 0 ? [undefined] : h.addresses;
    addrs.forEach((a, i) => {
      const head =
        i === 0
          ? `<td rowspan="${addrs.length}">${e(h.name)}${h.preference === null ? '' : ` <span class="note">(${h.preference})</span>`}${h.canonical === null ? '' : `<br>→ ${e(h.canonical)}`}</td><td rowspan="${addrs.length}">${e(h.dnssec ?? 'failed')}</td><td rowspan="${addrs.length}">${tlsaCell(h)}</td>`
          : '';
      const starttls = a === undefined || a.starttls === null ? '—' : a.starttls ? 'yes' : 'no';
      const tls = a === undefined ? '' : e(a.tls ?? a.error ?? '—');
      rows.push(
        `<tr>${head}<td>${e(a?.address ?? '—')}</td><td>${starttls}</td><td>${tls}</td><td>${a === undefined ? '' : chainCell(a)}</td><td>${a === undefined ? '—' : daneCell(a)}</td></tr>`,
      );
    });
  }
  return `<table id="hosts"><thead><tr><th>MX host</th><th>addresses (DNSSEC)</th><th>TLSA</th><th>address</th><th>STARTTLS</th><th>TLS</th><th>certificates</th><th>DANE</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function zonesTable(zones: readonly ZoneReport[]): string {
  if (zones.length === 0) return '';
  const rows = zones.map(
    (z) =>
      `<tr><td>${e(z.apex)}</td><td>${e(z.status)}</td><td>${z.nsec3 === null ? 'NSEC' : `NSEC3, ${z.nsec3.iterations} iterations${z.nsec3.salt === '' ? '' : `, salt ${e(z.nsec3.salt)}`}`}</td><td>${e(z.signaturesExpire ?? '—')}</td></tr>`,
  );
  return `<h2>Zones</h2><table id="zones"><thead><tr><th>zone</th><th>DNSSEC</th><th>denial</th><th>earliest signature expiry</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The report part of the page. */
function reportHtml(r: CheckReport): string {
  const q = encodeURIComponent(r.domain);
  const mx = r.mx.status === null ? r.mx.kind : `${r.mx.kind}, ${r.mx.status}`;
  return [
    `<h2>Report for ${e(r.domain)}</h2>`,
    `<p class="verdict v-${r.verdict}" id="verdict">${e(VERDICT[r.verdict])}</p>`,
    `<p class="note">Link to this report: <a href="/?domain=${q}">/?domain=${e(r.domain)}</a> · as JSON: <a href="/api/check?domain=${q}">/api/check?domain=${e(r.domain)}</a> · SMTP port ${r.port} · MX RRset: ${e(mx)} · checked ${e(r.checkedAt)}</p>`,
    '<h2>Findings</h2>',
    findingsTable(r.findings),
    '<h2>MX hosts</h2>',
    hostsTable(r.hosts),
    zonesTable(r.zones),
  ].join('\n');
}

/** What the page shows below the form. */
export type PageBody =
  { kind: 'form' } | { kind: 'report'; report: CheckReport } | { kind: 'error'; message: string };

/** The whole page for `domain` (what the form shows) and its body. */
export function renderPage(domain: string, body: PageBody): string {
  const title = body.kind === 'report' ? `DANE check of ${body.report.domain}` : 'DANE checker';
  const main =
    body.kind === 'report'
      ? reportHtml(body.report)
      : body.kind === 'error'
        ? `<p class="error" id="error">${e(body.message)}</p>`
        : '<p class="note">Checks DNSSEC, the TLSA records, STARTTLS and the certificates of every MX host of a mail domain (RFC 7672), and says what to fix.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>DANE checker for mail domains</h1>
<form method="get" action="/"><label for="domain">Mail domain</label>
<input id="domain" name="domain" value="${e(domain)}" placeholder="example.org" required>
<button type="submit">Check</button></form>
${main}
</main></body></html>
`;
}
