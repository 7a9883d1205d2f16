// @vitest-environment jsdom
import "../../client/src/test-support/node-realm.js";
import { act, cleanup, render, screen } from "@testing-library/react";
import { StrictMode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { setupFixture, waitFor } from "../../client/src/test-support/fixture.js";
import { SwitchboardProvider } from "./provider.js";
import { Feed, Two, text } from "./test-support/components.js";

const fx = setupFixture();
afterEach(() => {
  cleanup();
});

describe("useChannel", () => {
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

  it("useChannel shows a subscription the server revoked as unsubscribed", async () => {
    const server = await fx.server();
    let role: "agent" | "customer" = "agent";
    render(
      <SwitchboardProvider
        url={server.wsUrl}
        // exp within the server's 30 s window: it asks for a refresh at once.
        token={() => server.token({ sub: "alice", role }, { expiresInSeconds: 25 })}
        options={{ WebSocket, refreshBeforeMs: 0 }}
      >
        <Feed channel="staff:floor" />
      </SwitchboardProvider>,
    );
    await waitFor(() => text("feed-staff:floor").startsWith("subscribed"));
    role = "customer";
    await waitFor(() => text("feed-staff:floor").startsWith("unsubscribed"));
  });
});
