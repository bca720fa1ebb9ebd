/**
 * The lab PKI against other verifiers: OpenSSL (when installed) verifies the chains at fixed
 * times and rejects the broken ones (no CA flag, path length exceeded), and a Node TLS client
 * accepts a lab chain by its root and the server's names. The TLS handshake test uses the real
 * time because Node's TLS stack checks validity against it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { toHex } from '../../util/index.ts';
import { chainPem, createCa, createKeyPair, issueLeaf, privateKeyPem, type LabCert } from './certs.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1); // the lab's "now" for these tests

const rsaKey = () => createKeyPair('rsa-2048', { cacheKey: 'certs-test' });
const rsaRootKey = () => createKeyPair('rsa-2048', { cacheKey: 'certs-test-root' });

/** Root → intermediate → leaf (EC P-256) for mx1.example.org and *.mail.example.net. */
function ecChain(now: number): { root: LabCert; leaf: LabCert } {
  const root = createCa({ name: 'Lab Root', notBefore: now - DAY, notAfter: now + 3650 * DAY });
  const inter = createCa({
    name: 'Lab Intermediate',
    issuer: root,
    notBefore: now - DAY,
    notAfter: now + 365 * DAY,
    pathLen: 0,
  });
  const leaf = issueLeaf({
    issuer: inter,
    dnsNames: ['mx1.example.org', '*.mail.example.net'],
    notBefore: now - DAY,
    notAfter: now + 90 * DAY,
  });
  return { root, leaf };
}

function openssl(args: string[], input?: string): string | undefined {
  const res = spawnSync('openssl', args, { input, encoding: 'utf8' });
  if (res.error !== undefined) return undefined;
  return `${res.stdout}${res.stderr}`;
}

const hasOpenssl = openssl(['version']) !== undefined;

test(
  'openssl verify accepts lab chains and rejects broken ones',
  { skip: !hasOpenssl && 'openssl not installed' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-certs-'));
    try {
      const file = (name: string, certs: LabCert[]): string => {
        const path = join(dir, name);
        writeFileSync(path, certs.map((c) => c.pem).join(''));
        return path;
      };
      const verify = (root: LabCert, inters: LabCert[], leaf: LabCert, at: number): string => {
        const args = [
          'verify',
          '-x509_strict',
          '-purpose',
          'sslserver',
          '-attime',
          String(Math.floor(at / 1000)),
        ];
        args.push('-CAfile', file('root.pem', [root]));
        if (inters.length > 0) args.push('-untrusted', file('inter.pem', inters));
        return openssl([...args, file('leaf.pem', [leaf])]) ?? '';
      };
      for (const type of ['ec-p256', 'rsa-2048', 'ed25519'] as const) {
        const key = type === 'rsa-2048' ? rsaKey() : undefined;
        const root = createCa({
          name: `R ${type}`,
          ...(key ? { key: rsaRootKey() } : { keyType: type }),
          notBefore: T0 - DAY,
          notAfter: T0 + 900 * DAY,
        });
        const inter = createCa({
          name: `I ${type}`,
          issuer: root,
          keyType: 'ec-p256',
          notBefore: T0 - DAY,
          notAfter: T0 + 900 * DAY,
        });
        const leaf = issueLeaf({
          issuer: inter,
          ...(key ? { key } : { keyType: type }),
          dnsNames: ['mx1.example.org'],
          notBefore: T0 - DAY,
          notAfter: T0 + 30 * DAY,
        });
        assert.match(verify(root, [inter], leaf, T0), /leaf\.pem: OK/, `${type}: valid chain`);
        assert.match(verify(root, [inter], leaf, T0 + 29 * DAY), /: OK/, `${type}: just before expiry`);
        assert.match(
          verify(root, [inter], leaf, T0 + 31 * DAY),
          /certificate has expired/,
          `${type}: expired leaf`,
        );
        assert.match(verify(root, [inter], leaf, T0 - 2 * DAY), /not yet valid/, `${type}: not yet valid`);
        assert.match(
          verify(root, [], leaf, T0),
          /unable to get local issuer certificate/,
          `${type}: no intermediate`,
        );
      }
      const root = createCa({ name: 'Root', notBefore: T0 - DAY, notAfter: T0 + 900 * DAY });
      const notCa = createCa({
        name: 'NotCA',
        issuer: root,
        omitCaFlag: true,
        notBefore: T0 - DAY,
        notAfter: T0 + 900 * DAY,
      });
      const leafOfNotCa = issueLeaf({
        issuer: notCa,
        dnsNames: ['mx.example'],
        notBefore: T0 - DAY,
        notAfter: T0 + DAY,
      });
      assert.equal(notCa.isCa, false);
      assert.equal(new X509Certificate(notCa.der).ca, false);
      assert.match(verify(root, [notCa], leafOfNotCa, T0), /invalid CA certificate/, 'omitCaFlag');
      const p0 = createCa({
        name: 'P0',
        issuer: root,
        pathLen: 0,
        notBefore: T0 - DAY,
        notAfter: T0 + 900 * DAY,
      });
      const below = createCa({ name: 'Below', issuer: p0, notBefore: T0 - DAY, notAfter: T0 + 900 * DAY });
      const leafBelow = issueLeaf({
        issuer: below,
        dnsNames: ['mx.example'],
        notBefore: T0 - DAY,
        notAfter: T0 + DAY,
      });
      assert.match(verify(root, [p0, below], leafBelow, T0), /path length constraint exceeded/, 'pathLen 0');
      // openssl re-encodes our DER byte for byte: it is canonical.
      const der = spawnSync('openssl', ['x509', '-outform', 'DER'], { input: leafBelow.pem });
      assert.equal(toHex(new Uint8Array(der.stdout)), toHex(leafBelow.der));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('a Node TLS client accepts the chain with ca: [root] and checkServerIdentity', async () => {
  const now = Date.now(); // Node's TLS stack checks validity against the real clock
  const { root, leaf } = ecChain(now);
  const handshake = async (include: 'leaf' | 'leaf+intermediates', servername: string) => {
    const server = createServer({ key: privateKeyPem(leaf.key), cert: chainPem(leaf, { include }) }, (s) =>
      s.end(),
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      return await new Promise<{ ok: boolean; error?: string }>((resolve) => {
        const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername, ca: [root.pem] });
        socket.once('secureConnect', () => {
          resolve({ ok: socket.authorized });
          socket.destroy();
        });
        socket.once('error', (err: NodeJS.ErrnoException) => {
          resolve({ ok: false, error: err.code ?? err.message });
        });
      });
    } finally {
      server.close();
    }
  };
  const cases = [
    { include: 'leaf+intermediates' as const, name: 'mx1.example.org', want: { ok: true } },
    { include: 'leaf+intermediates' as const, name: 'x.mail.example.net', want: { ok: true } },
    {
      include: 'leaf+intermediates' as const,
      name: 'mx9.example.org',
      want: { ok: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    },
    {
      include: 'leaf' as const,
      name: 'mx1.example.org',
      want: { ok: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    },
  ];
  for (const { include, name, want } of cases) {
    assert.deepEqual(await handshake(include, name), want, `${include} ${name}`);
  }
});
