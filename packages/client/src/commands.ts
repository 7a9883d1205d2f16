import type {
  ClientFrame,
  ConnectedFrame,
  HistoryReplyFrame,
  OkFrame,
  PresenceReplyFrame,
  PublishedFrame,
  ReplyFrame,
  ResultFrame,
  SubscribedFrame,
} from "@switchboard/protocol";
import type { SwitchboardError } from "./errors.js";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A command as the SDK builds it: the protocol frame minus the id, assigned when it is sent. */
export type CommandBody = DistributiveOmit<Exclude<ClientFrame, { type: "pong" }>, "id">;
export type CommandType = CommandBody["type"];

/** The reply frame each command type expects on success. */
export interface ReplyByCommand {
  connect: ConnectedFrame;
  subscribe: SubscribedFrame;
  unsubscribe: OkFrame;
  publish: PublishedFrame;
  signal: OkFrame;
  presence: PresenceReplyFrame;
  history: HistoryReplyFrame;
  rpc: ResultFrame;
  refresh: OkFrame;
}

const EXPECTED_REPLY: { [K in CommandType]: ReplyByCommand[K]["type"] } = {
  connect: "connected",
  subscribe: "subscribed",
  unsubscribe: "ok",
  publish: "published",
  signal: "ok",
  presence: "presence",
  history: "history",
  rpc: "result",
  refresh: "ok",
};

export function expectedReplyType(type: CommandType): ReplyFrame["type"] {
  return EXPECTED_REPLY[type];
}

/**
 * `control` commands (subscribe, unsubscribe, refresh) are the SDK's own bookkeeping: they are
 * regenerated on every reconnect, so they never count against the offline queue bound and are
 * dropped rather than replayed when a connection is lost. `user` commands are the application's.
 */
export type Lane = "control" | "user";

export interface Command {
  body: CommandBody;
  lane: Lane;
  /**
   * Safe to send again after the connection dropped before the reply: reads, and publishes that
   * carry an idempotency key. Anything else in flight at a disconnect is rejected instead,
   * because the server may or may not have applied it.
   */
  resendable: boolean;
  resolve(reply: ReplyFrame): void;
  reject(error: SwitchboardError): void;
}
