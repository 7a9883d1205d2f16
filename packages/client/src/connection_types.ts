import type { ConnectedFrame, ServerFrame } from "@switchboard/protocol";

export type ConnectionState = "connecting" | "connected" | "disconnected" | "closed";

export interface DisconnectInfo {
  code: number;
  reason: string;
  willReconnect: boolean;
}

export interface ConnectionEvents {
  state: ConnectionState;
  connected: ConnectedFrame;
  disconnected: DisconnectInfo;
  error: Error;
}

export type ChannelFrame = Extract<
  ServerFrame,
  { type: "message" | "join" | "leave" | "unsubscribed" }
>;

/** What the subscription layer needs to hear from the connection. */
export interface ConnectionSink {
  /** Called before queued commands are flushed, so resubscribes go out first. */
  connected(frame: ConnectedFrame): void;
  /**
   * A WebSocket opened and `connect` was written: commands sent now go right behind it (the
   * server runs a session's commands in order, after `connect`), saving a round trip.
   */
  handshaking?(): void;
  lost(): void;
  frame(frame: ChannelFrame): void;
}

export interface CloseOptions {
  /** Close at once: reject whatever is queued or in flight instead of waiting for it. */
  force?: boolean;
  /** The longest wait for commands to be answered, in ms (default: the `closeTimeoutMs` option). */
  timeoutMs?: number;
}
