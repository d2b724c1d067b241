// The serving certificate and key, reloaded from their files without a restart. A new pair
// is checked (the key must match the certificate) before the server takes it; new TLS
// connections get it, connections already open keep theirs, so no request is dropped.
// A half-written rotation (new certificate, old key) is refused until the key arrives.
import { createSecureContext } from 'node:tls';
import type { SecureContextOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import { scope } from '../log/index.js';
import { watchFiles } from './file-watch.js';
import type { FileWatch, Snapshot } from './file-watch.js';

const log = scope('webhook');

export class CertificateError extends Error {}

export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

export interface KeyPair {
  cert: string;
  key: string;
}

/** Throws CertificateError if the pair cannot serve (unparsable, or the key is not the certificate's). */
export function checkKeyPair(pair: KeyPair): SecureContextOptions {
  const options: SecureContextOptions = { cert: pair.cert, key: pair.key };
  try {
    createSecureContext(options);
  } catch (error) {
    throw new CertificateError((error as Error).message);
  }
  return options;
}

export function readKeyPair(files: CertificateFiles): KeyPair {
  const read = (file: string, flag: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new CertificateError(`${flag}: cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
  };
  return { cert: read(files.certFile, '--tlsCertFile'), key: read(files.keyFile, '--tlsKeyFile') };
}

/** Watches the files and hands each good new pair to `apply` (https.Server#setSecureContext). */
export function watchCertificate(
  files: CertificateFiles,
  initial: KeyPair,
  apply: (options: SecureContextOptions) => void,
  options: { pollIntervalMs?: number; onReload?: (ok: boolean, error?: Error) => void } = {},
): FileWatch {
  return watchFiles([files.certFile, files.keyFile], [initial.cert, initial.key], options.pollIntervalMs ?? 1000, ([cert, key]: Snapshot) => {
    try {
      if (cert === null || cert === undefined || key === null || key === undefined) throw new CertificateError('the certificate or key file cannot be read');
      apply(checkKeyPair({ cert, key }));
      log.info(`serving certificate reloaded from ${files.certFile}`);
      options.onReload?.(true);
    } catch (error) {
      log.error(`serving certificate not reloaded, the current one keeps serving: ${(error as Error).message}`);
      options.onReload?.(false, error as Error);
    }
  });
}
