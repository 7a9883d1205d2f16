// @vitest-environment jsdom
import "../../client/src/test-support/node-realm.js";
import { act, cleanup, render } from "@testing-library/react";
import { afterEach, describe, it } from "vitest";
import { setupFixture, waitFor } from "../../client/src/test-support/fixture.js";
import { SwitchboardProvider } from "./provider.js";
import { Members, text } from "./test-support/components.js";

const fx = setupFixture();
afterEach(() => {
  cleanup();
});

describe("usePresence", () => {
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
});
