// @vitest-environment jsdom
import "../../client/src/test-support/node-realm.js";
import type { ChannelMessage, Switchboard } from "@switchboard/client";
import { act, cleanup, render, screen, within } from "@testing-library/react";
import { type ReactNode, StrictMode, useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { setupFixture, waitFor } from "../../client/src/test-support/fixture.js";
import { useSwitchboard } from "./context.js";
import { useChannel, useConnectionState, usePresence, useTyping } from "./hooks.js";
import { SwitchboardProvider } from "./provider.js";

const fx = setupFixture();
afterEach(() => {
  cleanup();
});

function ConnectionBadge() {
  return <p data-testid="state">{useConnectionState()}</p>;
}

function Feed({
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

function Two() {
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

function Members() {
  const { members, count } = usePresence("staff:floor");
  const names = members.map((m) => m.user).sort();
  return <p data-testid="members">{`${count}:${names.join(",")}`}</p>;
}

function Typing({ onNotify }: { onNotify: (notify: () => void) => void }) {
  const { typing, notifyTyping } = useTyping("staff:chat");
  onNotify(notifyTyping);
  return <p data-testid="typing">{typing.join(",") || "nobody"}</p>;
}

function Grab({ onClient }: { onClient: (client: Switchboard) => void }) {
  onClient(useSwitchboard());
  return null;
}

const text = (id: string) => screen.getByTestId(id).textContent ?? "";

describe("React hooks against a real server", () => {
  it("useConnectionState follows the connection through a server restart", async () => {
    const server = await fx.server();
    render(
      <SwitchboardProvider
        url={server.wsUrl}
        token={() => server.token({ sub: "alice", role: "agent" })}
        options={{ WebSocket, reconnect: { baseMs: 50, capMs: 200 } }}
      >
        <ConnectionBadge />
      </SwitchboardProvider>,
    );
    await waitFor(() => text("state") === "connected");
    await act(() => server.stop());
    await waitFor(() => text("state") === "connecting");
    await act(() => server.restart());
    await waitFor(() => text("state") === "connected");
  });

  it("useChannel delivers each message once under StrictMode and shows the latest", async () => {
    const server = await fx.server();
    const received: unknown[] = [];
    render(
      <StrictMode>
        <SwitchboardProvider
          url={server.wsUrl}
          token={() => server.token({ sub: "alice", role: "agent" })}
          options={{ WebSocket }}
        >
          <Feed channel="staff:floor" onMessage={(m) => received.push(m.data)} />
        </SwitchboardProvider>
      </StrictMode>,
    );
    await waitFor(() => text("feed-staff:floor").startsWith("subscribed"));
    await act(async () => {
      for (const n of [1, 2, 3]) await server.publish("staff:floor", "n", n);
    });
    await waitFor(() => text("feed-staff:floor") === "subscribed|3|3");
    expect(received).toEqual([1, 2, 3]);
  });

  it("unmounting one of two components on a channel keeps the other subscribed", async () => {
    const server = await fx.server();
    const client = await fx.agent(server, "alice");
    render(
      <SwitchboardProvider client={client}>
        <Two />
      </SwitchboardProvider>,
    );
    await waitFor(() => client.getSubscription("staff:floor")?.status === "subscribed");
    await act(async () => screen.getByText("drop").click());
    await act(() => server.publish("staff:floor", "n", "still-here"));
    await waitFor(() => text("feed-staff:floor") === "subscribed|still-here|1");
    expect(client.getSubscription("staff:floor")?.status).toBe("subscribed");
  });

  it("usePresence shows members joining and leaving", async () => {
    const server = await fx.server();
    const alice = await fx.agent(server, "alice");
    render(
      <SwitchboardProvider client={alice}>
        <Members />
      </SwitchboardProvider>,
    );
    await waitFor(() => text("members") === "1:alice");
    const bob = await fx.agent(server, "bob");
    const bobSub = bob.subscribe("staff:floor");
    await waitFor(() => text("members") === "2:alice,bob");
    act(() => bobSub.unsubscribe());
    await waitFor(() => text("members") === "1:alice");
  });

  it("useTyping shows who else is typing", async () => {
    const server = await fx.server();
    const [alice, bob] = await Promise.all([fx.agent(server, "alice"), fx.agent(server, "bob")]);
    const notify: Record<string, () => void> = {};
    const wrap = (client: Switchboard, id: string): ReactNode => (
      <SwitchboardProvider client={client}>
        <Typing onNotify={(fn) => (notify[id] = fn)} />
      </SwitchboardProvider>
    );
    const bobView = render(wrap(bob, "bob"));
    const aliceView = render(wrap(alice, "alice"));
    await waitFor(
      () =>
        alice.getSubscription("staff:chat")?.status === "subscribed" &&
        bob.getSubscription("staff:chat")?.status === "subscribed",
    );
    act(() => notify.alice?.());
    const shown = (view: { container: HTMLElement }) =>
      within(view.container).getByTestId("typing").textContent;
    await waitFor(() => shown(bobView) === "alice");
    expect(shown(aliceView)).toBe("nobody");
  });

  it("the provider closes a client it owns when unmounted", async () => {
    const server = await fx.server();
    let seen: Switchboard | undefined;
    const view = render(
      <SwitchboardProvider
        url={server.wsUrl}
        token={() => server.token({ sub: "alice", role: "agent" })}
        options={{ WebSocket }}
      >
        <Grab onClient={(c) => (seen = c)} />
      </SwitchboardProvider>,
    );
    await waitFor(() => seen?.state === "connected");
    view.unmount();
    expect(seen?.state).toBe("closed");
  });
});
