/**
 * Signs test zones with two independent real toolchains — BIND 9's dnssec-keygen /
 * dnssec-signzone and NLnet Labs' ldns-keygen / ldns-signzone — with a KSK (flags 257) and a ZSK
 * (256), NSEC or NSEC3 (RFC 5155; RFC 9276 parameters: 0 iterations, no salt, optional opt-out),
 * and an explicit validity window (to build expired or not-yet-valid zones). Returns the signed
 * file, the KSK's DS (SHA-256, RFC 4509) for the parent zone or a trust anchor, and the DNSKEYs.
 * `verifyWithBind` / `verifyWithLdns` run dnssec-verify / ldns-verify-zone on a signed file.
 * Must never write outside the directory it is given.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InteropError, InteropErrorCode } from './errors.ts';
import { runCommand } from './process.ts';

/** DNSSEC algorithms the signers accept (RFC 8624 numbers). */
export type SigningAlgorithm = 8 | 13 | 14 | 15 | 16;

const ALGORITHM_NAMES: Readonly<Record<SigningAlgorithm, string>> = {
  8: 'RSASHA256',
  13: 'ECDSAP256SHA256',
  14: 'ECDSAP384SHA384',
  15: 'ED25519',
  16: 'ED448',
};

/** NSEC3 parameters (RFC 5155 §3.1; RFC 9276 §3.1 says iterations 0 and no salt). */
export interface Nsec3Options {
  readonly iterations: number;
  /** Hex salt, or "-" for none. */
  readonly salt: string;
  readonly optOut?: boolean;
}

/** Options of {@link signWithBind} and {@link signWithLdns}. */
export interface SignOptions {
  /** Zone apex, e.g. "example." or "." for the root. */
  readonly zoneName: string;
  /** Unsigned zone text (relative names are relative to zoneName); no DNSKEY records. */
  readonly zoneText: string;
  readonly algorithm: SigningAlgorithm;
  /** NSEC3 instead of NSEC. */
  readonly nsec3?: Nsec3Options;
  /** The test's directory; keys and files go into a subdirectory of it. */
  readonly dir: string;
  /** RRSIG inception (default: the tool's default, about an hour ago). */
  readonly inception?: Date;
  /** RRSIG expiration (default: the tool's default, about 30 days ahead). */
  readonly expiration?: Date;
}

/** A signed zone. */
export interface SignedZone {
  readonly zoneName: string;
  /** The signed zone file (absolute path), ready for NSD. */
  readonly signedFile: string;
  /** DS records of the KSK (SHA-256), zone-file lines "example. IN DS 12345 13 2 …". */
  readonly dsRecords: readonly string[];
  /** The KSK and ZSK as zone-file lines "example. IN DNSKEY 257 3 13 …". */
  readonly dnskeyRecords: readonly string[];
  /** Key tags of the KSK and the ZSK. */
  readonly keyTags: { readonly ksk: number; readonly zsk: number };
}

/** Result of a zone verifier. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly output: string;
}

function fqdn(name: string): string {
  if (!/^(\.|([A-Za-z0-9_*-]{1,63}\.)+)$/.test(name)) {
    throw new InteropError(
      InteropErrorCode.BAD_ARGUMENT,
      `zone name must be absolute (end with "."): ${name}`,
    );
  }
  return name.toLowerCase();
}

/** "example." → "example", "." → "root": a file-name-safe label for a zone. */
function zoneLabel(name: string): string {
  return name === '.' ? 'root' : name.slice(0, -1);
}

/** YYYYMMDDHHMMSS in UTC, the RRSIG time form both tools accept (RFC 4034 §3.2). */
export function dnssecTime(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, 'invalid date for a signature validity window');
  }
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function algorithmName(algorithm: number): string {
  const name = (ALGORITHM_NAMES as Record<number, string | undefined>)[algorithm];
  if (name === undefined) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `unsupported signing algorithm ${algorithm}`);
  }
  return name;
}

function checkNsec3(nsec3: Nsec3Options): void {
  if (!Number.isInteger(nsec3.iterations) || nsec3.iterations < 0 || nsec3.iterations > 500) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `bad NSEC3 iterations ${nsec3.iterations}`);
  }
  if (nsec3.salt !== '-' && !/^([0-9a-fA-F]{2}){1,255}$/.test(nsec3.salt)) {
    throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `bad NSEC3 salt ${nsec3.salt} (hex or "-")`);
  }
}

/** The resource-record lines of a key file, without comments (";…") and blank lines. */
function recordLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/;.*$/, '').trim().replace(/\s+/g, ' '))
    .filter((l) => l.length > 0);
}

function keyTagOf(base: string): number {
  const m = /\+\d{3}\+(\d{5})$/.exec(base);
  if (m === null) throw new InteropError(InteropErrorCode.COMMAND_FAILED, `unexpected key file name ${base}`);
  return Number(m[1]);
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}

async function prepare(
  options: SignOptions,
  tool: string,
): Promise<{ work: string; zone: string; origin: string }> {
  const origin = fqdn(options.zoneName);
  algorithmName(options.algorithm);
  if (options.nsec3 !== undefined) checkNsec3(options.nsec3);
  const work = join(options.dir, `${zoneLabel(origin)}-${tool}`);
  await mkdir(work, { recursive: true });
  return { work, zone: join(work, `${zoneLabel(origin)}.zone`), origin };
}

function validityWindow(options: SignOptions): { inception?: string; expiration?: string } {
  return {
    ...(options.inception === undefined ? {} : { inception: dnssecTime(options.inception) }),
    ...(options.expiration === undefined ? {} : { expiration: dnssecTime(options.expiration) }),
  };
}

/** Signs with BIND's dnssec-keygen (KSK + ZSK) and dnssec-signzone; DS from dnssec-dsfromkey. */
export async function signWithBind(options: SignOptions): Promise<SignedZone> {
  const { work, zone, origin } = await prepare(options, 'bind');
  const alg = algorithmName(options.algorithm);
  const rsa = options.algorithm === 8 ? ['-b', '2048'] : [];
  const keygen = (ksk: boolean): Promise<string> =>
    runCommand(
      'dnssec-keygen',
      ['-q', '-K', work, '-a', alg, ...rsa, ...(ksk ? ['-f', 'KSK'] : []), '-n', 'ZONE', origin],
      {
        cwd: work,
      },
    ).then((r) => lastLine(r.stdout));
  const ksk = await keygen(true);
  const zsk = await keygen(false);
  const dnskeyRecords = [
    ...recordLines(await readFile(join(work, `${ksk}.key`), 'utf8')),
    ...recordLines(await readFile(join(work, `${zsk}.key`), 'utf8')),
  ];
  await writeFile(zone, `$ORIGIN ${origin}\n${options.zoneText}\n${dnskeyRecords.join('\n')}\n`);
  const signedFile = join(work, `${zoneLabel(origin)}.zone.signed`);
  const window = validityWindow(options);
  const now = new Date();
  // dnssec-signzone verifies its output; a window that does not contain "now" would fail that.
  const outsideNow =
    (options.inception !== undefined && options.inception > now) ||
    (options.expiration !== undefined && options.expiration < now);
  const nsec3 = options.nsec3;
  const args = [
    '-O',
    'full',
    '-o',
    origin,
    '-f',
    signedFile,
    '-K',
    work,
    ...(window.inception === undefined ? [] : ['-s', window.inception]),
    ...(window.expiration === undefined ? [] : ['-e', window.expiration]),
    ...(outsideNow ? ['-P'] : []),
    ...(nsec3 === undefined ? [] : ['-3', nsec3.salt, '-H', String(nsec3.iterations)]),
    ...(nsec3?.optOut === true ? ['-A'] : []),
    '-k',
    ksk,
    zone,
    zsk,
  ];
  await runCommand('dnssec-signzone', args, { cwd: work });
  const ds = await runCommand('dnssec-dsfromkey', ['-2', join(work, `${ksk}.key`)], { cwd: work });
  return {
    zoneName: origin,
    signedFile,
    dsRecords: recordLines(ds.stdout),
    dnskeyRecords,
    keyTags: { ksk: keyTagOf(ksk), zsk: keyTagOf(zsk) },
  };
}

/** Signs with ldns-keygen (KSK + ZSK) and ldns-signzone; DS from ldns-key2ds. */
export async function signWithLdns(options: SignOptions): Promise<SignedZone> {
  const { work, zone, origin } = await prepare(options, 'ldns');
  const alg = algorithmName(options.algorithm);
  const keygen = (ksk: boolean): Promise<string> => {
    const bits = options.algorithm === 8 ? ['-b', ksk ? '2048' : '1024'] : [];
    return runCommand('ldns-keygen', ['-a', alg, ...bits, ...(ksk ? ['-k'] : []), origin], {
      cwd: work,
    }).then((r) => lastLine(r.stdout));
  };
  const ksk = await keygen(true);
  const zsk = await keygen(false);
  const dnskeyRecords = [
    ...recordLines(await readFile(join(work, `${ksk}.key`), 'utf8')),
    ...recordLines(await readFile(join(work, `${zsk}.key`), 'utf8')),
  ];
  await writeFile(zone, `$ORIGIN ${origin}\n${options.zoneText}\n`);
  const signedFile = join(work, `${zoneLabel(origin)}.zone.signed`);
  const window = validityWindow(options);
  const nsec3 = options.nsec3;
  const args = [
    ...(nsec3 === undefined ? [] : ['-n', '-t', String(nsec3.iterations)]),
    ...(nsec3 === undefined || nsec3.salt === '-' ? [] : ['-s', nsec3.salt]),
    ...(nsec3?.optOut === true ? ['-p'] : []),
    ...(window.inception === undefined ? [] : ['-i', window.inception]),
    ...(window.expiration === undefined ? [] : ['-e', window.expiration]),
    '-o',
    origin,
    '-f',
    signedFile,
    zone,
    zsk,
    ksk,
  ];
  await runCommand('ldns-signzone', args, { cwd: work });
  const ds = await runCommand('ldns-key2ds', ['-n', '-2', `${ksk}.key`], { cwd: work });
  return {
    zoneName: origin,
    signedFile,
    dsRecords: recordLines(ds.stdout),
    dnskeyRecords,
    keyTags: { ksk: keyTagOf(ksk), zsk: keyTagOf(zsk) },
  };
}

/** Runs `dnssec-verify -o ORIGIN FILE`: ok when BIND finds the zone fully and validly signed now. */
export async function verifyWithBind(file: string, origin: string): Promise<VerifyResult> {
  const res = await runCommand('dnssec-verify', ['-o', fqdn(origin), file], { allowFailure: true });
  return { ok: res.code === 0, output: (res.stdout + res.stderr).trim() };
}

/** Runs `ldns-verify-zone FILE`: ok when ldns finds the zone complete and validly signed now. */
export async function verifyWithLdns(file: string): Promise<VerifyResult> {
  const res = await runCommand('ldns-verify-zone', [file], { allowFailure: true });
  return { ok: res.code === 0, output: (res.stdout + res.stderr).trim() };
}
