// Static SDS: the bootstrap's static_resources.secrets, by name. A
// tls_certificate_sds_secret_configs or validation_context_sds_secret_config
// without sds_config refers to one of these (Envoy's static secret provider).
import { ConfigError } from '../config/errors.js';
import type { SdsSecretConfig, SecretConfig } from './tls-types.js';

export class SecretStore {
  private readonly byName = new Map<string, SecretConfig>();

  /** Replaces the whole set (a bootstrap's secrets); duplicate names are refused, as in Envoy. */
  setStatic(secrets: readonly SecretConfig[], path = 'static_resources.secrets'): void {
    const next = new Map<string, SecretConfig>();
    secrets.forEach((secret, i) => {
      if (!secret.name) throw new ConfigError('a secret needs a name', `${path}[${i}]`);
      if (next.has(secret.name)) throw new ConfigError(`duplicate secret name "${secret.name}"`, `${path}[${i}]`);
      next.set(secret.name, secret);
    });
    this.byName.clear();
    for (const [name, secret] of next) this.byName.set(name, secret);
  }

  all(): SecretConfig[] {
    return [...this.byName.values()];
  }

  /** The static secret a reference names; dynamic SDS (sds_config set) is refused by name. */
  resolve(ref: SdsSecretConfig, path: string): SecretConfig {
    if (ref.sds_config !== undefined) {
      throw new ConfigError('sds_config (dynamic SDS) is not supported by the outrigger proxy; name a static_resources.secrets entry instead', `${path}.sds_config`);
    }
    if (!ref.name) throw new ConfigError('name is required', `${path}.name`);
    const secret = this.byName.get(ref.name);
    if (!secret) throw new ConfigError(`no static secret named "${ref.name}" in static_resources.secrets`, `${path}.name`);
    return secret;
  }
}
