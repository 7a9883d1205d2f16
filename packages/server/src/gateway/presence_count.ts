import type { Logger } from "pino";
import type { Broker } from "../broker/types.js";
import type { NamespaceOptions } from "./namespaces.js";

/** The event of the count-only presence signal (protocol.md, "Presence"). */
export const PRESENCE_COUNT_EVENT = "presence_count";

/** Joins and leaves within this window on one node share one announcement. */
export const PRESENCE_COUNT_DELAY_MS = 250;

type CountOptions = Pick<NamespaceOptions, "presence" | "joinLeave" | "presenceMembers">;

/**
 * A namespace whose members are for staff only (`presenceMembers: "staff"`, no join/leave
 * frames) still lets a subscriber that tracks presence (`presence: true`) see its count move:
 * after members join or leave, a `presence_count` message `{count}` (a signal: not stored,
 * cluster-wide) goes out, once per channel per node per window, so that a storm of a thousand
 * shoppers arriving costs a few announcements, not a thousand times a thousand frames. Without
 * it a shopper's "N people viewing" would stay at what it was when they arrived.
 */
export class PresenceCounts {
  private readonly due = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {}

  changed(channel: string, options: CountOptions): void {
    if (!options.presence || options.joinLeave || options.presenceMembers !== "staff") return;
    if (this.due.has(channel)) return;
    const timer = setTimeout(() => {
      this.due.delete(channel);
      this.announce(channel).catch((err) => this.logger.debug({ err, channel }, "presence count"));
    }, PRESENCE_COUNT_DELAY_MS);
    timer.unref();
    this.due.set(channel, timer);
  }

  private async announce(channel: string): Promise<void> {
    // read when sent, so every change in the window is in it
    const count = await this.broker.presenceCount(channel);
    await this.broker.broadcast({
      kind: "signal",
      channel,
      event: PRESENCE_COUNT_EVENT,
      data: { count },
      ts: Date.now(),
    });
  }

  close(): void {
    for (const timer of this.due.values()) clearTimeout(timer);
    this.due.clear();
  }
}
