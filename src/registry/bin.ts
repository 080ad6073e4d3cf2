/** Picks the script to run from a package.json `bin` (a string, or the entry named like the package). */
export function pickBin(bin: unknown, name: string): string | undefined {
  if (typeof bin === 'string') return bin;
  if (typeof bin !== 'object' || bin === null) return undefined;
  const bins = bin as Record<string, unknown>;
  const base = name.split('/').pop()!;
  const v = bins[base] ?? bins[`mcp-${base}`] ?? Object.values(bins)[0];
  return typeof v === 'string' ? v : undefined;
}
