import type { StreamPosition } from "@switchboard/protocol";
import type {
  Broker,
  BrokerEvent,
  BrokerEventHandler,
  HistoryOptions,
  HistoryQuery,
  HistoryResult,
  PresenceChange,
  PublishInput,
  PublishResult,
} from "./types.js";

/**
 * One node's broker shared by several local listeners: the native gateway and the modules that
 * hold sockets of their own (the Pusher endpoint). The broker itself has one handler and one
 * subscription per channel; here each listener gets every event, and a channel stays subscribed
 * on the node while any listener holds it (a native client leaving `pusher:…` must not cut off
 * the Pusher clients of the same channel).
 */
export class SharedBroker implements Broker {
  private readonly handlers: BrokerEventHandler[] = [];
  private readonly holds = new Map<string, number>();
  /** Subscribe/unsubscribe of one channel run one after the other, in call order. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(readonly inner: Broker) {
    inner.onEvent((event) => this.dispatch(event));
  }

  get nodeId(): string {
    return this.inner.nodeId;
  }

  private dispatch(event: BrokerEvent): void {
    for (const handler of this.handlers) handler(event);
  }

  /** Adds a listener (every listener sees every event of the channels the node holds). */
  onEvent(handler: BrokerEventHandler): void {
    this.handlers.push(handler);
  }

  private chain(channel: string, step: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(channel) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(step);
    this.chains.set(channel, next);
    void next
      .catch(() => {})
      .finally(() => {
        if (this.chains.get(channel) === next) this.chains.delete(channel);
      });
    return next;
  }

  subscribe(channel: string): Promise<void> {
    const held = (this.holds.get(channel) ?? 0) + 1;
    this.holds.set(channel, held);
    // A caller whose subscribe fails never releases it: give its hold back here, so a failed
    // first subscribe does not leave later ones believing the node already has the channel.
    const release = (error: unknown): never => {
      const now = (this.holds.get(channel) ?? 1) - 1;
      if (now > 0) this.holds.set(channel, now);
      else this.holds.delete(channel);
      throw error;
    };
    if (held > 1) return (this.chains.get(channel) ?? Promise.resolve()).catch(release);
    return this.chain(channel, () => this.inner.subscribe(channel)).catch(release);
  }

  unsubscribe(channel: string): Promise<void> {
    const held = (this.holds.get(channel) ?? 0) - 1;
    if (held > 0) {
      this.holds.set(channel, held);
      return Promise.resolve();
    }
    this.holds.delete(channel);
    return this.chain(channel, async () => {
      if (!this.holds.has(channel)) await this.inner.unsubscribe(channel);
    });
  }

  publish(channel: string, input: PublishInput): Promise<PublishResult> {
    return this.inner.publish(channel, input);
  }
  broadcast(event: Exclude<BrokerEvent, { kind: "publication" | "resync" }>): Promise<void> {
    return this.inner.broadcast(event);
  }
  position(channel: string): Promise<StreamPosition> {
    return this.inner.position(channel);
  }
  history(channel: string, query: HistoryQuery, options: HistoryOptions): Promise<HistoryResult> {
    return this.inner.history(channel, query, options);
  }
  presenceAdd(
    channel: string,
    connectionId: string,
    member: Parameters<Broker["presenceAdd"]>[2],
  ): Promise<PresenceChange> {
    return this.inner.presenceAdd(channel, connectionId, member);
  }
  presenceRemove(channel: string, connectionId: string): Promise<PresenceChange> {
    return this.inner.presenceRemove(channel, connectionId);
  }
  presence(channel: string): ReturnType<Broker["presence"]> {
    return this.inner.presence(channel);
  }
  presenceCount(channel: string): Promise<number> {
    return this.inner.presenceCount(channel);
  }
  ready(): Promise<boolean> {
    return this.inner.ready();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
