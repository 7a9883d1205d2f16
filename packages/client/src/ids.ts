/**
 * A random idempotency key. `crypto.randomUUID` is missing on insecure (http:) origins in
 * browsers, hence the fallback; uniqueness within one channel for 2 minutes is all it needs.
 */
export function idempotencyKey(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof c?.randomUUID === "function") return `sdk-${c.randomUUID()}`;
  const random = () => Math.random().toString(36).slice(2, 10);
  return `sdk-${Date.now().toString(36)}-${random()}${random()}`;
}
