// Columns as istioctl prints them (Go's tabwriter: each column padded to its widest cell plus one space).
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 1))).join('').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
