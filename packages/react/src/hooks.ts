import type {
  ChannelMessage,
  ConnectionState,
  PresenceState,
  StreamPosition,
  Subscription,
  SubscriptionSnapshot,
  SubscriptionStatus,
} from "@switchboard/client";
import { useCallback, useEffect, useRef, useSyncExternalStore } from "react";
import { useSwitchboard } from "./context.js";

/** The client's connection state, re-rendering on every change. */
export function useConnectionState(): ConnectionState {
  const client = useSwitchboard();
  const subscribe = useCallback((notify: () => void) => client.on("state", notify), [client]);
  const get = () => client.state;
  return useSyncExternalStore(subscribe, get, get);
}

const EMPTY_PRESENCE: PresenceState = { members: [], count: 0 };
const snapshotFor = (status: SubscriptionStatus): SubscriptionSnapshot => ({
  status,
  position: undefined,
  lastMessage: undefined,
  presence: EMPTY_PRESENCE,
  typing: [],
});
const PENDING = snapshotFor("subscribing");
const NONE = snapshotFor("unsubscribed");

/**
 * Holds a subscription while the component is mounted and reads its snapshot. Subscriptions
 * are ref-counted by the client, so StrictMode's mount/unmount/mount and several components on
 * one channel share a single server subscription. Subscribing happens in the store's
 * `subscribe` callback (a commit-phase effect), never during render.
 */
function useSubscription(
  channel: string | null | undefined,
  options: { presence?: boolean; signals?: readonly string[] },
  onMessage?: (message: ChannelMessage) => void,
): { subscription: Subscription | undefined; snapshot: SubscriptionSnapshot } {
  const client = useSwitchboard();
  const onMessageRef = useRef(onMessage);
  useEffect(() => {
    onMessageRef.current = onMessage;
  });
  const { presence } = options;
  // A new array each render must not resubscribe: the list's content is what counts.
  const signalList = options.signals?.join("\n");
  // The subscription this hook holds. Read through it rather than the client's registry so a
  // subscription the server ended (revoked) still shows its final "unsubscribed" state.
  const held = useRef<Subscription | undefined>(undefined);
  const subscribe = useCallback(
    (notify: () => void) => {
      if (!channel) return () => {};
      const subscription = client.subscribe(channel, {
        ...(presence !== undefined && { presence }),
        ...(signalList !== undefined && { signals: signalList ? signalList.split("\n") : [] }),
      });
      held.current = subscription;
      const offChange = subscription.on("change", notify);
      const offMessage = subscription.on("message", (m) => onMessageRef.current?.(m));
      return () => {
        offChange();
        offMessage();
        subscription.unsubscribe();
      };
    },
    [client, channel, presence, signalList],
  );
  const current = (): Subscription | undefined => {
    if (!channel) return undefined;
    const mine = held.current;
    return mine?.channel === channel ? mine : client.getSubscription(channel);
  };
  const get = () => (channel ? (current()?.snapshot ?? PENDING) : NONE);
  const snapshot = useSyncExternalStore(subscribe, get, get);
  return { subscription: current(), snapshot };
}

export interface ChannelState {
  /** Undefined until the first commit (and when `channel` is empty). */
  subscription: Subscription | undefined;
  lastMessage: ChannelMessage | undefined;
  position: StreamPosition | undefined;
  status: SubscriptionStatus;
}

/**
 * Subscribes to `channel` while mounted. `onMessage` sees every publication once, in order
 * (including ones recovered after a reconnect); the latest one is also returned. Pass a falsy
 * channel to subscribe to nothing.
 */
export function useChannel(
  channel: string | null | undefined,
  onMessage?: (message: ChannelMessage) => void,
  options: { presence?: boolean; signals?: readonly string[] } = {},
): ChannelState {
  const { subscription, snapshot } = useSubscription(channel, options, onMessage);
  return {
    subscription,
    lastMessage: snapshot.lastMessage,
    position: snapshot.position,
    status: snapshot.status,
  };
}

/** Who is in `channel` right now, kept live from join/leave. */
export function usePresence(channel: string | null | undefined): PresenceState {
  return useSubscription(channel, { presence: true }).snapshot.presence;
}

export interface TypingState {
  /** Users typing in the channel now, excluding the current user. */
  typing: readonly string[];
  /** Call on every keystroke; sends at most one signal per 2 s. */
  notifyTyping: () => void;
  /** Call when the message is sent or the input cleared. */
  stopTyping: () => void;
}

export function useTyping(channel: string | null | undefined): TypingState {
  const client = useSwitchboard();
  const { snapshot } = useSubscription(channel, {});
  const notifyTyping = useCallback(() => {
    if (channel) client.getSubscription(channel)?.typing();
  }, [client, channel]);
  const stopTyping = useCallback(() => {
    if (channel) client.getSubscription(channel)?.stopTyping();
  }, [client, channel]);
  return { typing: snapshot.typing, notifyTyping, stopTyping };
}
