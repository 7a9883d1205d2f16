/** The ways the SDK can reach a server. */
export type TransportName = "websocket" | "http";

/**
 * Which transport the next attempt uses. WebSocket first; when a WebSocket never gets through
 * (refused upgrade, a proxy that eats it, no WebSocket at all), the HTTP fallback. While on the
 * fallback, WebSocket is probed now and then (`upgradeAfterMs`, doubling after each failed probe
 * up to ten times that) and taken again once a probe opens.
 */
export class TransportChooser {
  #current: TransportName;
  #probeDelayMs: number;

  constructor(
    readonly allowed: readonly TransportName[],
    readonly upgradeAfterMs: number,
  ) {
    this.#current = allowed[0] ?? "websocket";
    this.#probeDelayMs = upgradeAfterMs;
  }

  get current(): TransportName {
    return this.#current;
  }

  /** A socket of this kind never got through: try the other one next (if allowed). */
  failed(kind: TransportName): void {
    const other: TransportName = kind === "websocket" ? "http" : "websocket";
    if (this.allowed.includes(other)) this.#current = other;
  }

  /** Whether to probe WebSocket while connected over `kind`, and after how long. */
  probeAfter(kind: TransportName): number | undefined {
    if (kind !== "http" || !this.allowed.includes("websocket")) return undefined;
    return this.#probeDelayMs;
  }

  probeFailed(): void {
    this.#probeDelayMs = Math.min(this.#probeDelayMs * 2, this.upgradeAfterMs * 10);
  }

  /** A WebSocket probe opened: the next connection uses WebSocket. */
  upgraded(): void {
    this.#current = "websocket";
    this.#probeDelayMs = this.upgradeAfterMs;
  }
}
