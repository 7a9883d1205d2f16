export type {
  ConnectedFrame,
  Member,
  PresenceMember,
  StreamPosition,
} from "@switchboard/protocol";
export { backoffCeiling, fullJitterDelay } from "./backoff.js";
export { type ClientEvents, type SubscribeOptions, Switchboard } from "./client.js";
export type { CloseOptions, ConnectionState, DisconnectInfo } from "./connection_types.js";
export { type LogEntry, type Logger, type LogKind, redactFrame } from "./debug_log.js";
export { type LocalFailure, SwitchboardError } from "./errors.js";
export {
  type ReconnectOptions,
  SDK_NAME,
  SDK_VERSION,
  type SwitchboardOptions,
} from "./options.js";
export type { PresenceState } from "./presence.js";
export { defaultVersionOf, dropStale, type VersionOf } from "./stale.js";
export { Subscription } from "./subscription.js";
export type {
  ChannelMessage,
  HistoryOptions,
  HistoryResult,
  PublishOptions,
  PublishResult,
  SubscriptionEvents,
  SubscriptionSnapshot,
  SubscriptionStatus,
} from "./subscription_types.js";
export type { TokenProvider } from "./token.js";
export type { SocketLike, WebSocketConstructor } from "./transport.js";
export type { TransportName } from "./transport_choice.js";
export { TYPING_EVENT, TYPING_EXPIRY_MS, TYPING_THROTTLE_MS, type TypingSignal } from "./typing.js";
