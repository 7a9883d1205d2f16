// @vitest-environment jsdom
import type { Subscription } from "@switchboard/client";
import { act, cleanup, render } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { newestRows, useCoalesced, useResync, withNewerRow } from "./live.js";

/** Just enough of a Subscription: its status and the two events useResync listens to. */
function fakeSubscription(status: "subscribing" | "subscribed") {
  const handlers = new Map<string, Set<(data: unknown) => void>>();
  const sub = {
    status,
    on(event: string, fn: (data: unknown) => void) {
      const set = handlers.get(event) ?? new Set();
      set.add(fn);
      handlers.set(event, set);
      return () => set.delete(fn);
    },
    emit(event: string, data: unknown = {}) {
      for (const fn of handlers.get(event) ?? []) fn(data);
    },
    listeners: () => [...handlers.values()].reduce((n, s) => n + s.size, 0),
  };
  return sub as typeof sub & Subscription;
}

function Resync({ sub, load }: { sub: Subscription | undefined; load: () => void }) {
  useResync(sub, load);
  return null;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe("useResync", () => {
  it("reloads when the subscription starts fresh, not after a recovered resubscribe", () => {
    const sub = fakeSubscription("subscribing");
    const load = vi.fn();
    render(<Resync sub={sub} load={load} />);
    act(() => vi.advanceTimersByTime(100));
    expect(load).not.toHaveBeenCalled();

    act(() => sub.emit("subscribed", { recovered: false }));
    act(() => vi.advanceTimersByTime(100));
    expect(load).toHaveBeenCalledTimes(1);

    act(() => sub.emit("subscribed", { recovered: true }));
    act(() => vi.advanceTimersByTime(100));
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("reloads once for a gap and the fresh subscribe that comes with it", () => {
    const sub = fakeSubscription("subscribing");
    const load = vi.fn();
    render(<Resync sub={sub} load={load} />);
    act(() => {
      sub.emit("subscribed", { recovered: false });
      sub.emit("gap");
    });
    act(() => vi.advanceTimersByTime(100));
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("reloads at once when the subscription was already active, and lets go on unmount", () => {
    const sub = fakeSubscription("subscribed");
    const load = vi.fn();
    const view = render(<Resync sub={sub} load={load} />);
    act(() => vi.advanceTimersByTime(100));
    expect(load).toHaveBeenCalledTimes(1);
    view.unmount();
    expect(sub.listeners()).toBe(0);
  });
});

describe("useCoalesced", () => {
  it("runs once for calls close together (a list of rows asking for one reload)", () => {
    const fn = vi.fn();
    let call: () => void = () => undefined;
    function Rows() {
      call = useCoalesced(fn, 50);
      return null;
    }
    render(<Rows />);
    act(() => {
      for (let i = 0; i < 20; i++) call();
    });
    act(() => vi.advanceTimersByTime(60));
    expect(fn).toHaveBeenCalledTimes(1);
    act(() => call());
    act(() => vi.advanceTimersByTime(60));
    expect(fn).toHaveBeenCalledTimes(2);
  });
});

describe("newestRows", () => {
  it("takes the fetched rows except where the screen already shows a newer version", () => {
    const shown = [
      { id: "a", version: 3, status: "packed" },
      { id: "b", version: 1, status: "pending" },
    ];
    const fetched = [
      { id: "a", version: 2, status: "paid" },
      { id: "b", version: 2, status: "paid" },
      { id: "c", version: 1, status: "pending" },
    ];
    expect(newestRows(shown, fetched, (r) => r.id)).toEqual([
      { id: "a", version: 3, status: "packed" },
      { id: "b", version: 2, status: "paid" },
      { id: "c", version: 1, status: "pending" },
    ]);
  });

  it("keeps a row an event brought while an older snapshot was on its way, drops others it lacks", () => {
    const shown = [
      { id: "new", version: 1 },
      { id: "old", version: 4 },
      { id: "gone", version: 2 },
    ];
    const fetched = [{ id: "old", version: 4 }];
    expect(
      newestRows(
        shown,
        fetched,
        (r) => r.id,
        (k) => k === "new",
      ),
    ).toEqual([
      { id: "new", version: 1 },
      { id: "old", version: 4 },
    ]);
  });
});

describe("withNewerRow", () => {
  const key = (r: { id: string }) => r.id;
  const rows = [
    { id: "a", version: 3 },
    { id: "b", version: 1 },
  ];

  it("replaces a row with a newer version and keeps a newer one against a late event", () => {
    expect(withNewerRow(rows, { id: "b", version: 2 }, key)).toEqual([
      { id: "a", version: 3 },
      { id: "b", version: 2 },
    ]);
    expect(withNewerRow(rows, { id: "a", version: 2 }, key)).toBe(rows);
    expect(withNewerRow(rows, { id: "a", version: 3 }, key)).toBe(rows);
  });

  it("adds a new row on top, or where it is told", () => {
    expect(withNewerRow(rows, { id: "c", version: 1 }, key).map(key)).toEqual(["c", "a", "b"]);
    expect(withNewerRow(undefined, { id: "c", version: 1 }, key)).toEqual([
      { id: "c", version: 1 },
    ]);
    const last = (list: typeof rows, r: (typeof rows)[number]) => [...list, r];
    expect(withNewerRow(rows, { id: "c", version: 1 }, key, last).map(key)).toEqual([
      "a",
      "b",
      "c",
    ]);
  });
});
