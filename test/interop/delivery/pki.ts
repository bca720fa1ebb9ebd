/**
 * The certificates of the delivery interop test, made in-process at test time with the lab's
 * private CA (src/lab/pki/certs.ts): a root CA, an intermediate, and the leaves the Postfix
 * receivers present — a good chain with the root included, a good chain without the root, a
 * CA-issued leaf with the wrong name, and an expired self-signed leaf. Also the TLSA rdata
 * (RFC 6698 §2.1) for any of them, through dane's own generator.
 * Must never write outside the directory it is given, or reuse keys across runs.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatTlsa, tlsaFromCertificate } from '../../../src/dane/index.ts';
import {
  chainPem,
  createCa,
  issueLeaf,
  privateKeyPem,
  type ChainInclude,
  type LabCert,
} from '../../../src/lab/index.ts';

const DAY = 86_400_000;

/** Every certificate the receivers use. */
export interface Pki {
  readonly root: LabCert;
  readonly intermediate: LabCert;
  /** Issued by the intermediate for the test's host names; served with the full chain. */
  readonly good: LabCert;
  /** Issued by the intermediate (RSA-2048); served without the root. */
  readonly noRoot: LabCert;
  /** Issued by the intermediate, valid, but for a name no MX host has. */
  readonly wrongName: LabCert;
  /** Self-signed, expired yesterday, for a name no MX host has. */
  readonly expired: LabCert;
}

/** Makes the CA, the intermediate and the four leaves, valid around `now` (ms). */
export function makePki(now: number): Pki {
  const valid = { notBefore: now - DAY, notAfter: now + 30 * DAY };
  const root = createCa({
    name: 'dane-mta interop root CA',
    notBefore: now - DAY,
    notAfter: now + 365 * DAY,
  });
  const intermediate = createCa({ name: 'dane-mta interop issuing CA', issuer: root, pathLen: 0, ...valid });
  const good = issueLeaf({
    issuer: intermediate,
    dnsNames: ['mx.dane.example', '*.dane.example', '*.nsec3.example', '*.plain.example', '*.bench.example'],
    ...valid,
  });
  const noRoot = issueLeaf({
    issuer: intermediate,
    keyType: 'rsa-2048',
    dnsNames: ['*.dane.example'],
    ...valid,
  });
  const wrongName = issueLeaf({ issuer: intermediate, dnsNames: ['mail.elsewhere.example'], ...valid });
  const expired = issueLeaf({
    issuer: 'self',
    dnsNames: ['old.elsewhere.example'],
    notBefore: now - 60 * DAY,
    notAfter: now - DAY,
  });
  return { root, intermediate, good, noRoot, wrongName, expired };
}

/** TLSA parameters as RFC 7218 numbers. */
export interface TlsaParams {
  readonly usage: number;
  readonly selector: 0 | 1;
  readonly matchingType: 1 | 2;
}

/** The TLSA rdata ("3 1 1 <hex>") of `cert` with the given parameters. */
export function tlsaOf(cert: LabCert, params: TlsaParams): string {
  return formatTlsa(tlsaFromCertificate(cert.der, params));
}

/** The same rdata with its last hex digit changed: a digest that matches nothing. */
export function wrongDigest(rdata: string): string {
  const last = rdata.at(-1) ?? '0';
  return `${rdata.slice(0, -1)}${last === '0' ? '1' : '0'}`;
}

/** PEM files for Postfix's smtpd_tls_chain_files. */
export interface ChainFiles {
  readonly certChainPemFile: string;
  readonly keyFile: string;
}

/** Writes `leaf`'s chain (as `include` selects) and key as PEM files readable by Postfix. */
export async function writeChain(
  leaf: LabCert,
  options: { readonly dir: string; readonly label: string; readonly include: ChainInclude },
): Promise<ChainFiles> {
  const certChainPemFile = join(options.dir, `${options.label}.chain.pem`);
  const keyFile = join(options.dir, `${options.label}.key.pem`);
  await writeFile(certChainPemFile, chainPem(leaf, { include: options.include }));
  await writeFile(keyFile, privateKeyPem(leaf.key));
  // Postfix's smtpd runs as the postfix user and must read the key.
  await chmod(keyFile, 0o644);
  return { certChainPemFile, keyFile };
}
