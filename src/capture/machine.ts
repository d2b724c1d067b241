// Reads the machine facts istio-iptables derives by itself, for resolveCaptureConfig.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { MachineFacts } from './config.js';

export function machineFacts(resolvConfPath = '/etc/resolv.conf'): MachineFacts {
  let resolvConf: string | undefined;
  try {
    resolvConf = readFileSync(resolvConfPath, 'utf8');
  } catch {
    resolvConf = undefined;
  }
  // Interfaces in kernel order; the first non-loopback, non-link-local address decides.
  let firstAddressIsIpv6: boolean | undefined;
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal || address.address.toLowerCase().startsWith('fe80:')) continue;
      firstAddressIsIpv6 ??= address.family === 'IPv6';
    }
  }
  return { resolvConf, firstAddressIsIpv6 };
}
