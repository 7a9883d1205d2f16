// @vitest-environment jsdom
import "../../client/src/test-support/node-realm.js";
import type { Switchboard } from "@switchboard/client";
import { act, cleanup, render, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { setupFixture, waitFor } from "../../client/src/test-support/fixture.js";
import { SwitchboardProvider } from "./provider.js";
import { Typing } from "./test-support/components.js";

const fx = setupFixture();
afterEach(() => {
  cleanup();
});

describe("useTyping", () => {
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
});
