// Picking one of several weighted names (tcp_proxy weighted_clusters, and later
// route weighted_clusters): a pure function of the weights and a random number.

export interface Weighted {
  name: string;
  weight: number;
}

export function pickWeighted<T extends Weighted>(items: readonly T[], random: number): T | undefined {
  let total = 0;
  for (const item of items) total += item.weight;
  if (total <= 0) return undefined;
  let point = random * total;
  for (const item of items) {
    if (item.weight <= 0) continue;
    point -= item.weight;
    if (point < 0) return item;
  }
  return items.filter((i) => i.weight > 0).pop();
}
