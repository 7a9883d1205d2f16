import { describe, expect, it } from "vitest";
import { PresenceMap, type PresenceState, PresenceTracker } from "./presence.js";
import { nextEvent, setupFixture, waitFor } from "./test-support/fixture.js";

const fx = setupFixture();
const users = (members: readonly { user: string }[]) => members.map((m) => m.user).sort();

describe("presence map", () => {
  it("applies join/leave to a snapshot, keyed by user", () => {
    const map = new PresenceMap();
    map.reset([{ user: "a", role: "agent", connections: 2 }], 1);
    expect(map.join({ user: "a", role: "agent" })).toBe(false);
    expect(map.join({ user: "b", role: "agent" })).toBe(true);
    expect(map.state.count).toBe(2);
    expect(map.leave({ user: "a", role: "agent" })).toBe(true);
    expect(map.leave({ user: "zzz", role: "agent" })).toBe(false);
    expect(users(map.state.members)).toEqual(["b"]);
    expect(map.state.count).toBe(1);
  });

  it("tracks the count of a channel whose member list is truncated", () => {
    const map = new PresenceMap();
    map.reset([{ user: "a", role: "customer", connections: 1 }], 500);
    map.join({ user: "b", role: "customer" });
    map.leave({ user: "unlisted", role: "customer" });
    expect(map.state.count).toBe(500);
  });
});

describe("presence tracker", () => {
  const alice = { user: "alice", role: "agent" as const };
  const bob = { user: "bob", role: "agent" as const };
  function tracker() {
    let answer: (state: PresenceState) => void = () => {};
    const t = new PresenceTracker(
      true,
      () => new Promise<PresenceState>((resolve) => (answer = resolve)),
      () => {},
      () => {},
    );
    return { t, answer: (state: PresenceState) => answer(state) };
  }

  it("keeps a join that arrives while an older snapshot is on its way", async () => {
    const { t, answer } = tracker();
    const loading = t.load();
    t.apply("join", bob); // bob joined after the server took the snapshot, which lacks him
    answer({ members: [{ ...alice, connections: 1 }], count: 1 });
    await loading;
    expect(users(t.state.members)).toEqual(["alice", "bob"]);
    expect(t.state.count).toBe(2);
  });

  it("keeps a leave that arrives while an older snapshot is on its way", async () => {
    const { t, answer } = tracker();
    const loading = t.load();
    t.apply("leave", bob);
    answer({
      members: [
        { ...alice, connections: 1 },
        { ...bob, connections: 1 },
      ],
      count: 2,
    });
    await loading;
    expect(users(t.state.members)).toEqual(["alice"]);
  });

  it("takes a newer snapshot as it is, and forgets events once it has one", async () => {
    const { t, answer } = tracker();
    const loading = t.load();
    t.apply("join", bob);
    t.apply("leave", bob); // bob came and went: the snapshot, taken after, agrees
    answer({ members: [{ ...alice, connections: 1 }], count: 1 });
    await loading;
    expect(users(t.state.members)).toEqual(["alice"]);
    t.apply("join", bob);
    expect(users(t.state.members)).toEqual(["alice", "bob"]);
  });
});

describe("presence against a real server", () => {
  it("keeps a live member list through join and leave", async () => {
    const server = await fx.server();
    const alice = await fx.agent(server, "alice");
    const sub = alice.subscribe("staff:floor", { presence: true });
    await waitFor(() => users(sub.members).join() === "alice");

    const bob = await fx.agent(server, "bob");
    const joined = nextEvent(sub, "join");
    const bobSub = bob.subscribe("staff:floor");
    expect(await joined).toMatchObject({ user: "bob", name: "bob", role: "agent" });
    await waitFor(() => sub.snapshot.presence.count === 2);
    expect(users(sub.members)).toEqual(["alice", "bob"]);

    const left = nextEvent(sub, "leave");
    bobSub.unsubscribe();
    expect(await left).toMatchObject({ user: "bob" });
    expect(users(sub.members)).toEqual(["alice"]);
    expect(sub.snapshot.presence.count).toBe(1);
  });

  it("sees a member leave when their client goes away without unsubscribing", async () => {
    const server = await fx.server();
    const alice = await fx.agent(server, "alice");
    const sub = alice.subscribe("staff:floor", { presence: true });
    const bob = await fx.agent(server, "bob");
    bob.subscribe("staff:floor");
    await waitFor(() => sub.members.length === 2);
    bob.close();
    await waitFor(() => sub.members.length === 1);
    expect(users(sub.members)).toEqual(["alice"]);
  });

  it("counts each user once across several connections, and can subscribe invisibly", async () => {
    const server = await fx.server();
    const [a1, a2, watcher] = await Promise.all([
      fx.agent(server, "alice"),
      fx.agent(server, "alice"),
      fx.agent(server, "watcher"),
    ]);
    const subs = [a1.subscribe("staff:floor"), a2.subscribe("staff:floor")];
    const sub = watcher.subscribe("staff:floor", { presence: false });
    await waitFor(() => [...subs, sub].every((s) => s.status === "subscribed"));
    const state = await sub.presence();
    expect(state.count).toBe(1);
    expect(users(state.members)).toEqual(["alice"]);
    expect(state.members[0]?.connections).toBe(2);
  });

  it("refetches the member list after a reconnect", async () => {
    const server = await fx.server();
    const alice = await fx.agent(server, "alice");
    const sub = alice.subscribe("staff:floor", { presence: true });
    await waitFor(() => sub.members.length === 1);
    await server.stop();
    await waitFor(() => alice.state !== "connected");
    await server.restart();
    const bob = await fx.agent(server, "bob");
    bob.subscribe("staff:floor");
    await waitFor(() => users(sub.members).join() === "alice,bob");
  });
});
