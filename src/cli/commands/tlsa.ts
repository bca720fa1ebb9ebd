/**
 * `dane-mta tlsa CERT.pem|KEY.pem [--usage 3] [--selector 1] [--mtype 1] [--host NAME]
 * [--port 25] [--chain FILE] [--next FILE] [--json]`: zone-file lines of the TLSA records to
 * publish for an MX host (RFC 6698 §2.1, §3; RFC 7671 §8 "3 1 1", and "2 1 1" for the issuing CA
 * with --chain), and with --next the rollover pair — the current and the next key's records,
 * published together before the server switches keys, so nothing breaks (RFC 7671 §8.1).
 * Exit: 0 printed, 64 bad usage or an unusable file (one line naming it).
 * Must never: print a PKIX usage (0/1) record, or anything derived from a private key but its
 * public half.
 */
import { readFileSync } from 'node:fs';
import { tlsaPlan, type PemSource, type PlannedRecord } from '../../check/index.ts';
import { describeError, ExitCode, isMtaError, toHex } from '../../util/index.ts';
import {
  boolOpt,
  intOpt,
  stringOpt,
  UsageError,
  type Command,
  type CommandIo,
  type ParsedArgs,
} from '../command.ts';

function readPem(path: string, what: string): PemSource {
  try {
    return { label: path, text: readFileSync(path, 'utf8') };
  } catch (e) {
    throw new UsageError(`cannot read the ${what} ${path}: ${describeError(e).replace(/^[A-Z]+: /, '')}`);
  }
}

const ROLE_TEXT: Readonly<Record<PlannedRecord['role'], string>> = {
  current: 'current',
  next: 'next',
  issuer: 'issuing CA',
};

function comment(r: PlannedRecord): string {
  const cert = r.subject === null ? 'key' : `${r.subject}, expires ${r.notAfter?.slice(0, 10) ?? '?'}`;
  return `; ${ROLE_TEXT[r.role]}: ${r.source} (${cert})`;
}

/** The text output: the lines alone for one record; with comments and advice for several. */
export function tlsaText(records: readonly PlannedRecord[]): string {
  if (records.length === 1) return `${records[0]?.line ?? ''}\n`;
  const lines: string[] = [];
  for (const r of records) lines.push(comment(r), r.line);
  const cur = records.find((r) => r.role === 'current');
  const next = records.find((r) => r.role === 'next');
  if (cur !== undefined && next !== undefined) {
    lines.push(
      cur.line === next.line
        ? '; the next key is the current key: there is nothing to roll over'
        : '; publish both now; switch the server to the next key once the old TLSA RRset has expired from caches (its TTL), then remove the current record',
    );
  }
  if (records.some((r) => r.role === 'issuer')) {
    lines.push(
      '; the issuing CA record keeps matching across renewals by the same CA, if the server sends that CA in its chain',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The `--json` object. */
export function tlsaJson(records: readonly PlannedRecord[]): Record<string, unknown> {
  return {
    owner: records[0]?.owner ?? null,
    records: records.map((r) => ({
      role: r.role,
      line: r.line,
      usage: r.record.usage,
      selector: r.record.selector,
      mtype: r.record.matchingType,
      data: toHex(r.record.data),
      source: r.source,
      subject: r.subject,
      notAfter: r.notAfter,
    })),
  };
}

function run(args: ParsedArgs, io: CommandIo): Promise<number> {
  const file = args.positionals[0] ?? '';
  const chain = stringOpt(args, 'chain');
  const next = stringOpt(args, 'next');
  const host = stringOpt(args, 'host');
  const usage = intOpt(args, 'usage', { min: 0, max: 255 });
  const selector = intOpt(args, 'selector', { min: 0, max: 255 });
  const mtype = intOpt(args, 'mtype', { min: 0, max: 255 });
  const port = intOpt(args, 'port', { min: 1, max: 65535 });
  let records: PlannedRecord[];
  try {
    records = tlsaPlan(readPem(file, 'certificate or key file'), {
      ...(usage === undefined ? {} : { usage }),
      ...(selector === undefined ? {} : { selector }),
      ...(mtype === undefined ? {} : { mtype }),
      ...(host === undefined ? {} : { host }),
      ...(port === undefined ? {} : { port }),
      ...(chain === undefined ? {} : { chain: readPem(chain, 'chain file') }),
      ...(next === undefined ? {} : { next: readPem(next, 'next certificate or key file') }),
    });
  } catch (e) {
    if (
      isMtaError(e, 'CHECK_ERR_OPTIONS') ||
      isMtaError(e, 'DANE_ERR_BAD_INPUT') ||
      isMtaError(e, 'DANE_ERR_BAD_CERT')
    ) {
      throw new UsageError(describeError(e));
    }
    throw e;
  }
  io.stdout(boolOpt(args, 'json') ? `${JSON.stringify(tlsaJson(records))}\n` : tlsaText(records));
  return Promise.resolve(ExitCode.OK);
}

export const tlsaCommand: Command = {
  name: 'tlsa',
  summary: 'print the TLSA records to publish for an MX host, from its certificate or key',
  usage: 'CERT.pem|KEY.pem',
  positionals: { min: 1, max: 1 },
  options: {
    usage: { type: 'string', arg: 'N', help: 'certificate usage: 3 DANE-EE (default) or 2 DANE-TA' },
    selector: { type: 'string', arg: 'N', help: 'selector: 1 public key (default) or 0 whole certificate' },
    mtype: { type: 'string', arg: 'N', help: 'matching type: 1 SHA2-256 (default), 2 SHA2-512 or 0 full' },
    host: { type: 'string', arg: 'NAME', help: "MX host name (default: the certificate's first DNS name)" },
    port: { type: 'string', arg: 'N', help: 'SMTP port: the owner is _N._tcp.NAME (default 25)' },
    chain: {
      type: 'string',
      arg: 'FILE',
      help: 'PEM certificates holding the issuing CA: add its DANE-TA record (2 1 1)',
    },
    next: {
      type: 'string',
      arg: 'FILE',
      help: 'the next certificate or key: print the current and next records (the rollover pair)',
    },
    json: { type: 'boolean', help: 'print one JSON object' },
  },
  details: [
    "CERT.pem may hold the whole chain (the first certificate is the server's); KEY.pem may be a",
    'private key (only its public half is used) or a public key. Values equal those of',
    "'openssl x509 -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256' and of",
    "ldnsutils' 'ldns-dane -c CERT.pem create HOST PORT 3 1 1'.",
    '',
    'examples:',
    '  dane-mta tlsa /etc/ssl/mx.pem --host mx.example.org',
    '  dane-mta tlsa cert.pem --chain chain.pem          # 3 1 1 of the server and 2 1 1 of its CA',
    '  dane-mta tlsa cert.pem --next next-key.pem        # the rollover pair, before a key change',
  ].join('\n'),
  run,
};
