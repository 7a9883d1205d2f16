/**
 * The ways the SDK can reach a server: WebSocket, the HTTP fallback's event stream, and its
 * long-poll mode (for proxies that hold streaming responses back).
 */
export type TransportName = "websocket" | "http" | "longpoll";
export const TRANSPORTS: readonly TransportName[] = ["websocket", "http", "longpoll"];

/**
 * Which transport the next attempt uses. WebSocket first; when a WebSocket never gets through
 * (refused upgrade, a proxy that eats it, no WebSocket at all), the HTTP event stream; when the
 * stream is answered but its first event never arrives in time (a proxy buffering it), long
 * polling. While on a fallback, WebSocket is probed now and then (`upgradeAfterMs`, doubling
 * after each failed probe up to ten times that) and taken again once a probe opens.
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

  /**
   * A socket of this kind never got through: try the next allowed one (in the order websocket,
   * http, longpoll, and round again). `timedOut`: it was not refused but never opened in time;
   * only that sends an event stream on to long polling (a refused stream would be refused as a
   * poll too: the server is down, and the stream is the better transport once it is back).
   */
  failed(kind: TransportName, timedOut = false): void {
    const at = TRANSPORTS.indexOf(kind);
    for (let step = 1; step < TRANSPORTS.length; step++) {
      const next = TRANSPORTS[(at + step) % TRANSPORTS.length] as TransportName;
      if (!this.allowed.includes(next)) continue;
      if (kind === "http" && next === "longpoll" && !timedOut) continue;
      this.#current = next;
      return;
    }
  }

  /** Whether to probe WebSocket while connected over `kind`, and after how long. */
  probeAfter(kind: TransportName): number | undefined {
    if (kind === "websocket" || !this.allowed.includes("websocket")) return undefined;
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
