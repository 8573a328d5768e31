export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summary(values: number[]): { n: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  };
}

export function fmt(s: ReturnType<typeof summary>, unit = "ms"): string {
  return `n=${s.n} p50 ${s.p50.toFixed(1)} ${unit}, p90 ${s.p90.toFixed(1)} ${unit}, p99 ${s.p99.toFixed(1)} ${unit}, max ${s.max.toFixed(1)} ${unit}`;
}
