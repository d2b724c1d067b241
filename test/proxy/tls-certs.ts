// Test certificates: a CA (the webhook's own CA maker) and leaf certificates
// carrying SPIFFE URI and DNS SANs, usable as both server and client (mTLS).
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { createCertificateAuthority } from '../../src/webhook/certs.js';
import type { CertificateAuthority } from '../../src/webhook/certs.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type { CertificateAuthority };

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export function makeCa(commonName = 'cluster.local'): Promise<CertificateAuthority> {
  return createCertificateAuthority({ commonName, organization: 'outrigger test' });
}

export interface Leaf {
  cert: string;
  key: string;
}

let serial = 1;

/** A leaf signed by `ca` for serverAuth and clientAuth, with the given SANs (uris like spiffe://…, dns names). */
export async function issueLeaf(ca: CertificateAuthority, sans: { uris?: string[]; dns?: string[] }): Promise<Leaf> {
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names = [...(sans.uris ?? []).map((value) => ({ type: 'url' as const, value })), ...(sans.dns ?? []).map((value) => ({ type: 'dns' as const, value }))];
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    subject: '',
    issuer: ca.certificate.subject,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names, true),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
    ],
  });
  const key = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { cert: certificate.toString('pem'), key };
}
