export interface BackoffOptions {
  /** First ceiling, in ms (attempt 0). */
  baseMs: number;
  /** Largest ceiling, in ms. */
  capMs: number;
}

/** min(cap, base·2^attempt): the upper bound of the wait before reconnect attempt `attempt`. */
export function backoffCeiling(attempt: number, { baseMs, capMs }: BackoffOptions): number {
  // 2^31 already exceeds any sane cap; clamping keeps the math finite for huge attempt counts.
  const exp = Math.min(Math.max(0, attempt), 31);
  return Math.min(capMs, baseMs * 2 ** exp);
}

/**
 * Full jitter: a uniform wait in [0, ceiling). Spreading reconnects over the whole window is what
 * stops thousands of clients from stampeding a server that just restarted.
 */
export function fullJitterDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCeiling(attempt, options));
}
