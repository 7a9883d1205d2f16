import type { ChannelMessage, Switchboard } from "@switchboard/client";
import { screen } from "@testing-library/react";
import { useState } from "react";
import { useSwitchboard } from "../context.js";
import { useChannel, useConnectionState, usePresence, useTyping } from "../hooks.js";

/** Small components that render what the hooks return, so tests read it from the DOM. */
export function ConnectionBadge() {
  return <p data-testid="state">{useConnectionState()}</p>;
}

export function Feed({
  channel,
  onMessage,
}: {
  channel: string;
  onMessage?: (m: ChannelMessage) => void;
}) {
  const { lastMessage, status, position } = useChannel(channel, onMessage);
  return (
    <p data-testid={`feed-${channel}`}>
      {status}|{String(lastMessage?.data ?? "")}|{position?.offset ?? "-"}
    </p>
  );
}

export function Two() {
  const [both, setBoth] = useState(true);
  return (
    <>
      <button type="button" onClick={() => setBoth(false)}>
        drop
      </button>
      <Feed channel="staff:floor" />
      {both && <Feed channel="staff:floor" />}
    </>
  );
}

export function Members() {
  const { members, count } = usePresence("staff:floor");
  const names = members.map((m) => m.user).sort();
  return <p data-testid="members">{`${count}:${names.join(",")}`}</p>;
}

export function Typing({ onNotify }: { onNotify: (notify: () => void) => void }) {
  const { typing, notifyTyping } = useTyping("staff:chat");
  onNotify(notifyTyping);
  return <p data-testid="typing">{typing.join(",") || "nobody"}</p>;
}

export function Grab({ onClient }: { onClient: (client: Switchboard) => void }) {
  onClient(useSwitchboard());
  return null;
}

export const text = (id: string) => screen.getByTestId(id).textContent ?? "";
