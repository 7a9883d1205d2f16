import { randomFillSync } from "node:crypto";

/**
 * ULIDs (time-sortable ids: 10 chars of milliseconds, 16 of randomness, Crockford base32),
 * monotonic within a process: ids made in the same millisecond increment the random part, so
 * they sort in creation order (the outbox relies on it). Randomness comes from a pooled buffer:
 * drawing it from the OS per character cost more than the rest of a chat message's work.
 */
const ENCODING = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const POOL = Buffer.alloc(4096);
let pooled = POOL.length;
let lastTime = -1;
const random = new Uint8Array(16);

function refill(): void {
  for (let i = 0; i < 16; i++) {
    if (pooled === POOL.length) {
      randomFillSync(POOL);
      pooled = 0;
    }
    random[i] = (POOL[pooled++] as number) & 31;
  }
}

function increment(): void {
  for (let i = 15; i >= 0; i--) {
    if ((random[i] as number) < 31) {
      random[i] = (random[i] as number) + 1;
      return;
    }
    random[i] = 0;
  }
}

export function ulid(now: number = Date.now()): string {
  if (now <= lastTime) increment();
  else {
    lastTime = now;
    refill();
  }
  let time = lastTime;
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ENCODING[time % 32] + out;
    time = Math.floor(time / 32);
  }
  for (let i = 0; i < 16; i++) out += ENCODING[random[i] as number];
  return out;
}
