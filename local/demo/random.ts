/**
 * Deterministic randomness for the demo: the same `--seed` gives the same chain and the same customers
 * (the order in which concurrent requests land still varies). mulberry32: 32-bit state, period 2^32,
 * plenty for a demo and not for anything secret. (No seedable PRNG is a direct dependency; pure-rand
 * only arrives through fast-check, so it is not imported.)
 */

/** A seeded pseudo-random source; every method draws from the same stream. */
export class Rng {
  private state: number;

  /** `seed`: any integer (taken modulo 2^32). */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability `p` (0..1). */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A key of `weights` with probability proportional to its (non-negative) weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let r = this.next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [k, w] of entries) if ((r -= w) < 0) return k;
    return entries.at(-1)![0];
  }

  /** A new independent stream derived from this one (e.g. one per concern, so adding draws elsewhere keeps it stable). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

/**
 * Zipf(s) sampler over ranks 0..n-1: P(rank k) ∝ 1/(k+1)^s (rank 0 the most popular).
 * Returns a function drawing one rank from `rng`.
 */
export function zipf(n: number, s: number, rng: Rng): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 0; k < n; k++) cumulative.push((total += 1 / (k + 1) ** s));
  return () => {
    const r = rng.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/** `k` distinct ranks drawn from `draw` (k must not exceed the number of ranks it can return). */
export function distinct(k: number, draw: () => number): number[] {
  const out = new Set<number>();
  while (out.size < k) out.add(draw());
  return [...out];
}
