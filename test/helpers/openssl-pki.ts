/**
 * A throw-away PKI made with the `openssl` command line at test time (no private key is ever
 * committed): keys (EC P-256/P-384, RSA, Ed25519), self-signed roots, intermediates and leaves
 * with chosen extensions and signature options, in a private temp directory removed by
 * `cleanup()`. Only for cross-checks against OpenSSL itself (an independent implementation);
 * the x509, DANE and SMTP tests build their PKI in-process with test-pki.ts and never skip.
 * A cross-check calls `requireOpenssl(t)` first: the interop rule of test/interop/README.md
 * (skipped with the reason when openssl is missing, failing under DANE_MTA_INTEROP=1).
 * Test support only: spawns `openssl`, never reaches the network.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { requireTools } from '../interop/tools.ts';
import type { CertOptions as BaseCertOptions, KeyType } from './test-pki.ts';

export { caExt, leafExt, type KeyType } from './test-pki.ts';

/** Options for a certificate made by openssl (`sameKeyAs` names an openssl-made certificate). */
export type CertOptions = BaseCertOptions<PkiCert>;

/** The interop rule for an OpenSSL cross-check: true when openssl is there (see above). */
export function requireOpenssl(t: TestContext): boolean {
  return requireTools(t, ['openssl']);
}

/** A certificate made by the PKI. */
export interface PkiCert {
  readonly name: string;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly keyPem: string;
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
