import { afterEach, describe, expect, it, vi } from "vitest";
import type { ChannelMessage } from "./subscription_types.js";
import { setupFixture, waitFor } from "./test-support/fixture.js";
import { TYPING_EXPIRY_MS, TypingThrottle, TypingTracker } from "./typing.js";

const fx = setupFixture();

describe("typing throttle and expiry", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends at most once per 2 s while the user keeps typing", () => {
    let now = 0;
    const throttle = new TypingThrottle(2000, () => now);
    const sent: number[] = [];
    for (now = 0; now <= 5000; now += 100) if (throttle.take()) sent.push(now);
    expect(sent).toEqual([0, 2000, 4000]);
    throttle.reset();
    expect(throttle.take()).toBe(true);
  });

  it("forgets a typist 5 s after their last signal, and at once on stop", () => {
    vi.useFakeTimers();
    const changes: (readonly string[])[] = [];
    const tracker = new TypingTracker((users) => changes.push(users));
    tracker.update("bob", true);
    tracker.update("carol", true);
    vi.advanceTimersByTime(3000);
    tracker.update("bob", true); // still typing: bob's expiry moves on
    vi.advanceTimersByTime(2001);
    expect(tracker.users).toEqual(["bob"]);
    tracker.update("bob", false);
    expect(tracker.users).toEqual([]);
    expect(changes).toEqual([["bob"], ["bob", "carol"], ["bob"], []]);
    tracker.update("dave", true);
    vi.advanceTimersByTime(TYPING_EXPIRY_MS);
    expect(tracker.users).toEqual([]);
  });
});

describe("typing against a real server", () => {
  it("shows who is typing to others, never to oneself, throttled", async () => {
    const server = await fx.server();
    const [alice, bob] = await Promise.all([fx.agent(server, "alice"), fx.agent(server, "bob")]);
    const aliceSub = alice.subscribe("staff:chat");
    const bobSub = bob.subscribe("staff:chat");
    const signals: ChannelMessage[] = [];
    bobSub.on("message", (m) => {
      if (m.event === "typing") signals.push(m);
    });
    await waitFor(() => aliceSub.status === "subscribed" && bobSub.status === "subscribed");

    for (let i = 0; i < 10; i++) aliceSub.typing();
    await waitFor(() => bobSub.typingUsers.join() === "alice");
    await new Promise((r) => setTimeout(r, 100));
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ from: { user: "alice" }, data: { typing: true } });
    expect(signals[0]?.offset).toBeUndefined();
    expect(aliceSub.typingUsers).toEqual([]);

    aliceSub.stopTyping();
    await waitFor(() => bobSub.typingUsers.length === 0);
    expect(bobSub.snapshot.typing).toEqual([]);
  });
});
