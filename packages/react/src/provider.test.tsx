// @vitest-environment jsdom
import "../../client/src/test-support/node-realm.js";
import type { Switchboard } from "@switchboard/client";
import { cleanup, render } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { setupFixture, waitFor } from "../../client/src/test-support/fixture.js";
import { SwitchboardProvider } from "./provider.js";
import { Grab } from "./test-support/components.js";

const fx = setupFixture();
afterEach(() => {
  cleanup();
});

describe("SwitchboardProvider", () => {
  it("closes a client it owns when unmounted", async () => {
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

  it("lets a publish made just before unmount reach the server, then closes", async () => {
    const server = await fx.server();
    const bob = await fx.agent(server, "bob");
    const floor = bob.subscribe("staff:floor");
    await waitFor(() => floor.status === "subscribed");
    const delivered: unknown[] = [];
    floor.on("message", (m) => delivered.push(m.data));
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
    // "Send and leave": the page that owns the provider goes away right after the click,
    // before the client has even connected.
    const published = seen?.publish("staff:floor", "note", "bye");
    view.unmount();
    await expect(published).resolves.toMatchObject({ offset: 1 });
    await waitFor(() => seen?.state === "closed");
    await waitFor(() => delivered.includes("bye"));
  });

  it("connects a client it was given and leaves it open when unmounted", async () => {
    const server = await fx.server();
    const client = fx.client({
      url: server.wsUrl,
      token: () => server.token({ sub: "alice", role: "agent" }),
    });
    const view = render(<SwitchboardProvider client={client} />);
    await waitFor(() => client.state === "connected");
    view.unmount();
    expect(client.state).toBe("connected");
  });

  it("uses the newest token prop when it reconnects", async () => {
    const server = await fx.server();
    const bob = await server.token({ sub: "bob", role: "agent" });
    let seen: Switchboard | undefined;
    const tree = (token: string) => (
      <SwitchboardProvider url={server.wsUrl} token={token} options={{ WebSocket }}>
        <Grab onClient={(c) => (seen = c)} />
      </SwitchboardProvider>
    );
    const view = render(tree(await server.token({ sub: "alice", role: "agent" })));
    await waitFor(() => seen?.user?.id === "alice");
    view.rerender(tree(bob));
    await server.stop();
    await server.restart();
    await waitFor(() => seen?.state === "connected" && seen.user?.id === "bob");
  });
});
