import { afterEach } from "vitest";
import {
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "../../../server/src/testing.js";
import { Switchboard } from "../client.js";
import type { SwitchboardOptions } from "../options.js";

type Cleanup = () => unknown;

/**
 * Real servers and real clients for one test file, all torn down after each test.
 * Everything runs on loopback with ephemeral ports.
 */
export function useFixture() {
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
      const client = new Switchboard({ reconnect: { baseMs: 50, capMs: 500 }, ...options });
      cleanups.push(() => client.close());
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
  { timeoutMs = 5000, message = "condition" }: { timeoutMs?: number; message?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves with the next payload of an event that satisfies `predicate`. */
export function nextEvent<T>(
  on: (listener: (payload: T) => void) => () => void,
  predicate: (payload: T) => boolean = () => true,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = on((payload) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}
