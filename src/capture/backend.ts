// Chooses between iptables-nft and iptables-legacy. Rules written with the
// wrong one look applied but do nothing on a host that uses the other, so we
// follow what is already in use, as kubelet and Istio do.
import { run } from './exec.js';

export interface IptablesCommands {
  variant: 'nft' | 'legacy' | 'default';
  save: string;
  restore: string;
  save6: string;
  restore6: string;
}

function commands(variant: 'nft' | 'legacy' | 'default'): IptablesCommands {
  const suffix = variant === 'default' ? '' : `-${variant}`;
  return {
    variant,
    save: `iptables${suffix}-save`,
    restore: `iptables${suffix}-restore`,
    save6: `ip6tables${suffix}-save`,
    restore6: `ip6tables${suffix}-restore`,
  };
}

/** Pure: picks the variant from what each one's save printed (undefined: not installed). */
export function chooseVariant(nftSave: string | undefined, legacySave: string | undefined): 'nft' | 'legacy' | 'default' {
  if (nftSave === undefined && legacySave === undefined) return 'default';
  if (nftSave === undefined) return 'legacy';
  if (legacySave === undefined) return 'nft';
  // kubelet leaves a hint chain in the mangle table of the variant it uses.
  const hint = /^:KUBE-IPTABLES-HINT|^:KUBE-KUBELET-CANARY/m;
  if (hint.test(nftSave)) return 'nft';
  if (hint.test(legacySave)) return 'legacy';
  const count = (text: string) => text.split('\n').filter((l) => l.startsWith('-A ')).length;
  // More rules in legacy means the host (or its CNI) uses legacy; on a tie nft wins.
  return count(legacySave) > count(nftSave) ? 'legacy' : 'nft';
}

export async function detectIptables(): Promise<IptablesCommands> {
  const probe = async (variant: 'nft' | 'legacy') => {
    const result = await run(`iptables-${variant}-save`, []);
    return result.code === 0 ? result.stdout : undefined;
  };
  const [nftSave, legacySave] = await Promise.all([probe('nft'), probe('legacy')]);
  return commands(chooseVariant(nftSave, legacySave));
}
