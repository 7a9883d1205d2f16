// @vitest-environment jsdom
import "../../client/src/test-support/node-realm.js";
import { act, cleanup, render } from "@testing-library/react";
import { afterEach, describe, it } from "vitest";
import { WebSocket } from "ws";
import { setupFixture, waitFor } from "../../client/src/test-support/fixture.js";
import { SwitchboardProvider } from "./provider.js";
import { ConnectionBadge, text } from "./test-support/components.js";

const fx = setupFixture();
afterEach(() => {
  cleanup();
});

describe("useConnectionState", () => {
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
});
