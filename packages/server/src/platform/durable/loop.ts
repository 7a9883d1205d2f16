import type { Logger } from "pino";

/**
 * The driving loop of a dispatcher: runs `pass` when woken (a local commit) or every `pollMs`
 * (work committed by other nodes, retries coming due). Wakes during a pass are kept, never lost:
 * the pass runs again right after. A pass that found a full batch runs again at once.
 */
export class WakeLoop {
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;
  private woken = false;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Next wait after a pass, when shorter than the poll (rows expected but not yet visible). */
  private soon: number | undefined;

  constructor(
    private readonly name: string,
    /** Returns true when there may be more right away (a full batch). */
    private readonly pass: () => Promise<boolean>,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Run a pass as soon as possible (after the current one). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.woken = true;
      return;
    }
    this.schedule(0);
  }

  /** Ask for the next pass within `ms` (shorter than the poll). */
  wakeWithin(ms: number): void {
    this.soon = Math.min(this.soon ?? ms, ms);
    if (!this.running && !this.stopped) this.schedule(ms);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Resolves when the pass in progress (if any) is over. */
  async idle(): Promise<void> {
    await this.running;
  }

  private schedule(ms: number): void {
    const dueAt = Date.now() + ms;
    if (this.timer && this.dueAt <= dueAt) return; // an earlier pass is already on its way
    if (this.timer) clearTimeout(this.timer);
    this.dueAt = dueAt;
    this.timer = setTimeout(() => this.run(), ms);
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    if (this.stopped || this.running) return;
    this.woken = false;
    this.soon = undefined;
    this.running = (async () => {
      let more = false;
      try {
        more = await this.pass();
      } catch (err) {
        this.logger.warn({ err, loop: this.name }, "dispatcher pass failed; will retry");
      } finally {
        this.running = undefined;
      }
      if (this.stopped) return;
      if (more || this.woken) this.schedule(0);
      else this.schedule(Math.min(this.soon ?? this.pollMs, this.pollMs));
    })();
  }
}

/** Retry delay after `attempts` failures: 1 s, 2 s, 4 s … capped at 5 min, ±20 % jitter. */
export function backoffMs(attempts: number, baseMs = 1000): number {
  const raw = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), 5 * 60_000);
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

export function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 2000);
}

/** The run lost its claim (lease expired and another node took the row, or it was cancelled). */
export class LostClaim extends Error {
  constructor(what: string) {
    super(`${what}: claim lost (lease expired, taken over, or cancelled)`);
    this.name = "LostClaim";
  }
}
