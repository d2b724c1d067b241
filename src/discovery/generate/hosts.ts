// Host names as Istio resolves them in VirtualServices and DestinationRules.

/** A short name is relative to the config's namespace: "reviews" → reviews.ns.svc.cluster.local. */
export function resolveHost(host: string, namespace: string, domainSuffix: string): string {
  if (host === '*' || host.startsWith('*.') || host.includes('.')) {
    // "reviews.default" is still short; a name with a dot but no "svc"/suffix gets completed.
    const parts = host.split('.');
    if (!host.startsWith('*') && parts.length === 2 && !host.endsWith(domainSuffix)) return `${host}.svc.${domainSuffix}`;
    return host;
  }
  return `${host}.${namespace}.svc.${domainSuffix}`;
}

/** Whether a (possibly wildcard) config host covers a service hostname. */
export function hostMatches(pattern: string, hostname: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return hostname.endsWith(pattern.slice(1));
  return pattern === hostname;
}

/** Of several patterns matching a hostname, the most specific: exact, then the longest wildcard. */
export function mostSpecific<T>(items: readonly T[], hostsOf: (item: T) => readonly string[], hostname: string): T | undefined {
  let best: T | undefined;
  let bestScore = -1;
  for (const item of items) {
    for (const pattern of hostsOf(item)) {
      if (!hostMatches(pattern, hostname)) continue;
      const score = pattern === hostname ? Number.MAX_SAFE_INTEGER : pattern.length;
      if (score > bestScore) {
        best = item;
        bestScore = score;
      }
    }
  }
  return best;
}
