/**
 * A throw-away PKI made with the `openssl` command line at test time (no private key is ever
 * committed): keys (EC P-256/P-384, RSA, Ed25519), self-signed roots, intermediates and leaves
 * with chosen extensions and signature options, in a private temp directory removed by
 * `cleanup()`. Used by the x509 and dane tests; an independent implementation (OpenSSL) builds
 * the certificates our parser and path checks must understand.
 * Test support only: spawns `openssl`, never reaches the network.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Key algorithms the PKI can make. */
export type KeyType = 'ec' | 'ec384' | 'rsa' | 'ed25519';

/** A certificate made by the PKI. */
export interface PkiCert {
  readonly name: string;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly keyPem: string;
}

/** Options for a certificate. `ext` lines go into an OpenSSL extension section. */
export interface CertOptions {
  /** `-subj` text, e.g. `/CN=mx1.example.org`. */
  readonly subject: string;
  /** Validity in days from now (default 3650). */
  readonly days?: number;
  /** Extension lines (`basicConstraints=critical,CA:TRUE`, `subjectAltName=DNS:a.example`). */
  readonly ext?: readonly string[];
  /** Key type of the new certificate (default 'ec'). */
  readonly keyType?: KeyType;
  /** Reuse the key of this certificate instead of making a new one. */
  readonly sameKeyAs?: PkiCert;
  /** Extra `openssl x509 -req` arguments (digest, `-sigopt …`). */
  readonly signArgs?: readonly string[];
}

const KEY_ARGS: Readonly<Record<KeyType, readonly string[]>> = {
  ec: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  ec384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** `openssl req -newkey` arguments making the same keys as KEY_ARGS in the same process. */
const NEWKEY_ARGS: Readonly<Record<KeyType, readonly string[]>> = {
  ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  ec384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  rsa: ['-newkey', 'rsa:2048'],
  ed25519: ['-newkey', 'ed25519'],
};

/** DER of the first PEM block in `pem`. */
function pemToDer(pem: string): Uint8Array {
  const body = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END/.exec(pem)?.[1] ?? '';
  return new Uint8Array(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
}

/** True when an `openssl` binary can be run. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Run openssl with `args`; returns stdout. Throws with stderr on failure. */
export function openssl(args: readonly string[], input?: Uint8Array | string): Buffer {
  return execFileSync('openssl', args, { stdio: 'pipe', ...(input === undefined ? {} : { input }) });
}

/** A PKI living in its own temp directory. */
export class OpensslPki {
  readonly dir: string;
  #serial = 1000;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'dane-mta-pki-'));
  }

  /** Remove the temp directory. */
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  #file(name: string): string {
    return join(this.dir, name.replace(/[^A-Za-z0-9_.-]/g, '_'));
  }

  /** Make a private key file; returns its path. */
  key(name: string, type: KeyType = 'ec'): string {
    const file = this.#file(`${name}.key`);
    openssl(['genpkey', ...KEY_ARGS[type], '-out', file]);
    return file;
  }

  /** Make a CSR (and, unless `keyFile` is given, its key in the same openssl run). */
  #request(name: string, opts: CertOptions, keyFile: string | undefined): { csr: string; keyFile: string } {
    const csr = this.#file(`${name}.csr`);
    const subj = ['-subj', opts.subject, '-multivalue-rdn', '-utf8', '-out', csr];
    if (keyFile !== undefined) {
      openssl(['req', '-new', '-key', keyFile, ...subj]);
      return { csr, keyFile };
    }
    const newKey = this.#file(`${name}.key`);
    openssl(['req', '-new', ...NEWKEY_ARGS[opts.keyType ?? 'ec'], '-nodes', '-keyout', newKey, ...subj]);
    return { csr, keyFile: newKey };
  }

  #sign(name: string, opts: CertOptions, issuer: PkiCert | 'self'): PkiCert {
    const { csr, keyFile } = this.#request(name, opts, opts.sameKeyAs?.keyFile);
    const extFile = this.#file(`${name}.ext`);
    const certFile = this.#file(`${name}.pem`);
    writeFileSync(extFile, `[v3]\n${(opts.ext ?? []).join('\n')}\n`);
    const issuerArgs =
      issuer === 'self' ? ['-signkey', keyFile] : ['-CA', issuer.certFile, '-CAkey', issuer.keyFile];
    const serial = String(this.#serial++);
    const days = String(opts.days ?? 3650);
    const args = ['x509', '-req', '-in', csr, ...issuerArgs, '-set_serial', serial, '-days', days];
    openssl([...args, '-extfile', extFile, '-extensions', 'v3', ...(opts.signArgs ?? []), '-out', certFile]);
    const pem = readFileSync(certFile, 'utf8');
    return { name, der: pemToDer(pem), pem, certFile, keyFile, keyPem: readFileSync(keyFile, 'utf8') };
  }

  /** A self-signed certificate (a root CA unless `ext` says otherwise). */
  selfSigned(name: string, opts: CertOptions): PkiCert {
    return this.#sign(name, opts, 'self');
  }

  /** A certificate signed by `issuer`. */
  issue(name: string, issuer: PkiCert, opts: CertOptions): PkiCert {
    return this.#sign(name, opts, issuer);
  }
}

/** Extension lines for a CA (pathLen optional). */
export function caExt(pathLen?: number): string[] {
  const bc = pathLen === undefined ? 'critical,CA:TRUE' : `critical,CA:TRUE,pathlen:${pathLen}`;
  return [`basicConstraints=${bc}`, 'keyUsage=critical,keyCertSign,cRLSign', 'subjectKeyIdentifier=hash'];
}

/** Extension lines for a TLS server leaf with these DNS names. */
export function leafExt(dnsNames: readonly string[]): string[] {
  const san = dnsNames.length === 0 ? [] : [`subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}`];
  return [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    ...san,
  ];
}
