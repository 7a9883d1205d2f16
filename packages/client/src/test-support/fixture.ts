import { afterEach } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";
import {
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "../../../server/src/testing.js";
import { type ClientEvents, Switchboard } from "../client.js";
import type { SwitchboardOptions } from "../options.js";
import type { Subscription } from "../subscription.js";
import type { SubscriptionEvents } from "../subscription_types.js";

type Cleanup = () => unknown;

/**
 * Real servers and real clients for one test file, all torn down after each test.
 * Everything runs on loopback with ephemeral ports.
 */
export function setupFixture() {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const fixture = {
    defer(cleanup: Cleanup): void {
      cleanups.push(cleanup);
    },
    async server(options?: TestServerOptions): Promise<TestServer> {
      const server = await startTestServer(options);
      cleanups.push(() => server.close());
      return server;
    },
    client(options: SwitchboardOptions): Switchboard {
      const client = new Switchboard({
        reconnect: { baseMs: 50, capMs: 500 },
        // jsdom's WebSocket mixes jsdom and Node event classes under vitest and cannot open a
        // connection; a real browser's would, and in Node the SDK loads `ws` itself.
        ...(typeof window !== "undefined" && { WebSocket: NodeWebSocket }),
        ...options,
      });
      // Teardown, not a test of close(): no waiting for commands a test left unanswered.
      cleanups.push(() => client.close({ force: true }));
      return client;
    },
    /** A connected client for `sub` (an agent, so staff:* channels are open to it). */
    async agent(
      server: TestServer,
      sub: string,
      options: Partial<SwitchboardOptions> = {},
    ): Promise<Switchboard> {
      const client = fixture.client({
        url: server.wsUrl,
        token: () => server.token({ sub, role: "agent", name: sub }),
        ...options,
      });
      client.connect();
      await waitFor(() => client.state === "connected");
      return client;
    },
  };
  return fixture;
}

export async function waitFor(
  condition: () => boolean,
  { timeoutMs = 15_000, message = "condition" }: { timeoutMs?: number; message?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

type EventsOf<T> = T extends Switchboard
  ? ClientEvents
  : T extends Subscription
    ? SubscriptionEvents
    : never;

/** Resolves with the next payload of `event` on `target` that satisfies `predicate`. */
export function nextEvent<T extends Switchboard | Subscription, K extends keyof EventsOf<T>>(
  target: T,
  event: K,
  predicate: (payload: EventsOf<T>[K]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<EventsOf<T>[K]> {
  type Listen = (event: K, fn: (payload: EventsOf<T>[K]) => void) => () => void;
  const on = (target.on as unknown as Listen).bind(target);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching ${String(event)} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = on(event, (payload) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}
