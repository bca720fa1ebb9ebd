/**
 * Test certificates made with the openssl command line at test time (never committed keys):
 * a self-signed ECDSA P-256 leaf for a receiving MX, with the subjectAltName DNS names given,
 * and the "3 1 1" (DANE-EE, SPKI, SHA-256; RFC 7218 / RFC 7671 §5.1) TLSA data of a
 * certificate, to publish for that MX in a test zone.
 * Must never write outside the directory it is given.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InteropError, InteropErrorCode } from './errors.ts';
import { runCommand } from './process.ts';

/** Options of {@link makeSelfSignedCert}. */
export interface SelfSignedOptions {
  readonly dir: string;
  /** Subject CN and first subjectAltName. */
  readonly commonName: string;
  /** More subjectAltName DNS names. */
  readonly altNames?: readonly string[];
  /** Validity in days (default 30). */
  readonly days?: number;
}

/** PEM files of a certificate and its private key. */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

const DNS_NAME = /^(\*\.)?([A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}\.?$/;

/** Makes a self-signed P-256 certificate with `openssl req -x509`; the key file is mode 0644. */
export async function makeSelfSignedCert(options: SelfSignedOptions): Promise<CertFiles> {
  const names = [options.commonName, ...(options.altNames ?? [])];
  for (const n of names) {
    if (!DNS_NAME.test(n)) throw new InteropError(InteropErrorCode.BAD_ARGUMENT, `not a DNS name: ${n}`);
  }
  const work = join(options.dir, 'certs');
  await mkdir(work, { recursive: true });
  const base = options.commonName.replace(/[^A-Za-z0-9.-]/g, '_');
  const certFile = join(work, `${base}.crt.pem`);
  const keyFile = join(work, `${base}.key.pem`);
  await runCommand('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    String(options.days ?? 30),
    '-subj',
    `/CN=${options.commonName}`,
    '-addext',
    `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
  ]);
  // Postfix's smtpd (running as the postfix user) must be able to read the key.
  await chmod(keyFile, 0o644);
  return { certFile, keyFile };
}

/**
 * The TLSA rdata "3 1 1 <hex>" of the first certificate in `certFile` (PEM): DANE-EE(3),
 * SPKI(1), SHA2-256(1) of its DER SubjectPublicKeyInfo.
 */
export async function daneEeSpkiSha256(certFile: string): Promise<string> {
  const cert = new X509Certificate(await readFile(certFile));
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return `3 1 1 ${createHash('sha256').update(spki).digest('hex')}`;
}
