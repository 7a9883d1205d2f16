import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Hot-path counters are plain numbers (an increment per delivery must cost nothing);
 * prom-client reads them when /metrics is scraped.
 */
export class Metrics {
  readonly registry = new Registry();
  connections = 0;
  subscriptions = 0;
  channels = 0;
  deliveries = 0;
  slowConsumersDropped = 0;
  readonly framesIn = new Map<string, number>();
  readonly framesOut = new Map<string, number>();
  readonly errors = new Map<string, number>();
  readonly publishToWrite: Histogram;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: "switchboard_" });
    const self = this;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    const counterFrom = (name: string, help: string, label: string, source: Map<string, number>) =>
      new Counter({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          for (const [key, value] of source) this.inc({ [label]: key }, value);
        },
      });
    gauge(
      "switchboard_connections",
      "Open WebSocket connections (authenticated or not)",
      () => self.connections,
    );
    gauge(
      "switchboard_subscriptions",
      "Channel subscriptions across all connections",
      () => self.subscriptions,
    );
    gauge(
      "switchboard_channels",
      "Channels with at least one local subscriber",
      () => self.channels,
    );
    new Counter({
      name: "switchboard_deliveries_total",
      help: "Messages written to subscriber sockets",
      registers,
      collect() {
        this.reset();
        this.inc(self.deliveries);
      },
    });
    new Counter({
      name: "switchboard_slow_consumers_dropped_total",
      help: "Connections closed because their unsent buffer passed the bound",
      registers,
      collect() {
        this.reset();
        this.inc(self.slowConsumersDropped);
      },
    });
    counterFrom("switchboard_frames_in_total", "Frames received, by type", "type", this.framesIn);
    counterFrom("switchboard_frames_out_total", "Frames sent, by type", "type", this.framesOut);
    counterFrom(
      "switchboard_errors_total",
      "Error replies and error closes, by code",
      "code",
      this.errors,
    );
    this.publishToWrite = new Histogram({
      name: "switchboard_publish_to_write_seconds",
      help: "Time from a publication being accepted to its frame being written to every local subscriber",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
  }

  count(map: Map<string, number>, key: string, by = 1): void {
    map.set(key, (map.get(key) ?? 0) + by);
  }
}
