/** Small statistics for benchmark samples. */

/** The q-quantile (0 ≤ q ≤ 1) by nearest rank of the sorted samples; NaN for none. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const median = (samples: readonly number[]): number => quantile(samples, 0.5);

export function spread(samples: readonly number[]): { min: number; max: number } {
  return { min: Math.min(...samples), max: Math.max(...samples) };
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(seconds >= 100 ? 0 : 1)} s`;
}

export function formatUsd(usd: number): string {
  return usd >= 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(6)}`;
}
