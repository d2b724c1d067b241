// A CA and a serving certificate for the webhook, for clusters without cert-manager: the API
// server trusts the CA (the caBundle of the MutatingWebhookConfiguration) and reaches the
// injector by its Service's DNS name, which the serving certificate must carry as a SAN.
// ECDSA P-256 keys: small, fast handshakes, accepted by every API server version.
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const dayMs = 24 * 60 * 60 * 1000;

export interface PemKeyPair {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

export interface CertificateAuthority extends PemKeyPair {
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
}

export class CertificateOptionsError extends Error {}

/**
 * The DNS names the API server may use for the injector's Service, as istiod's certificate
 * carries them: istiod[-<rev>].<ns>.svc, and the older istio-sidecar-injector[-<rev>].<ns>.svc.
 */
export function webhookDnsNames(namespace = 'istio-system', revision = ''): string[] {
  const services = ['istiod', 'istio-sidecar-injector', 'istio-pilot'];
  const names = services.map((service) => `${service}.${namespace}.svc`);
  if (revision !== '' && revision !== 'default') names.push(...services.slice(0, 2).map((service) => `${service}-${revision}.${namespace}.svc`));
  return names;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0]! &= 0x7f; // positive, as RFC 5280 requires
  return Buffer.from(bytes).toString('hex');
}

async function exportKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(days) || days <= 0) throw new CertificateOptionsError(`invalid validity ${days}: days must be a positive number`);
  // A little slack backwards for clocks that are behind.
  const now = Date.now();
  return { notBefore: new Date(now - 5 * 60 * 1000), notAfter: new Date(now + days * dayMs) };
}

export async function createCertificateAuthority(options: { commonName?: string; organization?: string; days?: number } = {}): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${options.commonName ?? 'Outrigger sidecar injector CA'}, O=${options.organization ?? 'outrigger'}`,
    ...validity(options.days ?? 3650),
    signingAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, privateKey: keys.privateKey, cert: certificate.toString('pem'), key: await exportKey(keys.privateKey) };
}

/** Loads a CA written by `outrigger webhook certs` (or any ECDSA P-256 CA in PEM) to sign with it again. */
export async function loadCertificateAuthority(pair: PemKeyPair): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(pair.cert);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pair.key), keyAlgorithm, true, ['sign']);
  return { certificate, privateKey, cert: pair.cert, key: pair.key };
}

export interface ServingCertificateOptions {
  dnsNames: readonly string[];
  ipAddresses?: readonly string[];
  days?: number;
}

/** A serving certificate (serverAuth) for the given names, signed by the CA. */
export async function issueServingCertificate(ca: CertificateAuthority, options: ServingCertificateOptions): Promise<PemKeyPair> {
  const names = [...options.dnsNames.map((value) => ({ type: 'dns' as const, value })), ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value }))];
  if (names.length === 0) throw new CertificateOptionsError('a serving certificate needs at least one DNS name or IP address');
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${options.dnsNames[0] ?? options.ipAddresses?.[0]}`,
    issuer: ca.certificate.subject,
    ...validity(options.days ?? 365),
    signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
    ],
  });
  return { cert: certificate.toString('pem'), key: await exportKey(keys.privateKey) };
}
