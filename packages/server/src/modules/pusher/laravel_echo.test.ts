import Echo from "laravel-echo";
import PusherJs from "pusher-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TestServer } from "../../testing.js";
import { APP, sdk, startAuthEndpoint, startPusherServer, until } from "./test-kit.js";

let server: TestServer;
let auth: Awaited<ReturnType<typeof startAuthEndpoint>>;
const echoes: Echo<"pusher">[] = [];

beforeEach(async () => {
  server = await startPusherServer();
  auth = await startAuthEndpoint(sdk(server));
});
afterEach(async () => {
  for (const e of echoes.splice(0)) e.disconnect();
  await auth.close();
  await server.close();
});

/** Laravel Echo configured as a Laravel app's bootstrap.js would be, pointed at Switchboard. */
function echo(user: string): Echo<"pusher"> {
  const e = new Echo({
    broadcaster: "pusher",
    key: APP.key,
    cluster: "local",
    wsHost: "127.0.0.1",
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ["ws"],
    disableStats: true,
    Pusher: PusherJs,
    authEndpoint: `${auth.url}/broadcasting/auth`,
    auth: { headers: {}, params: { user_id: user } },
  });
  echoes.push(e);
  return e;
}

describe("Laravel Echo over pusher-js", () => {
  it("listens, joins presence, and whispers", async () => {
    const ann = echo("ann");
    const shipped: unknown[] = [];
    ann.channel("orders").listen(".OrderShipped", (e: unknown) => shipped.push(e));
    ann.private("orders").listen("OrderPaid", (e: unknown) => shipped.push(e));
    // Echo hands over each member's user_info (what the auth endpoint signed)
    let here: { name: string }[] = [];
    const joining: { name: string }[] = [];
    ann
      .join("room")
      .here((users: { name: string }[]) => {
        here = users;
      })
      .joining((u: { name: string }) => joining.push(u));
    await until(() => here.length === 1);

    const bo = echo("bo");
    const whispers: unknown[] = [];
    bo.join("room").listenForWhisper("typing", (e: unknown) => whispers.push(e));
    await until(() => joining.length === 1);
    expect(joining[0]).toEqual({ name: "User bo" });
    expect(here).toEqual([{ name: "User ann" }]);

    await until(async () => {
      const r = await sdk(server).get({ path: "/channels/private-orders" });
      return ((await r.json()) as { occupied: boolean }).occupied;
    });
    await sdk(server).trigger("orders", "OrderShipped", { id: 1 });
    await sdk(server).trigger("private-orders", "App\\Events\\OrderPaid", { id: 2 });
    await until(() => shipped.length === 2);
    expect(shipped).toEqual([{ id: 1 }, { id: 2 }]);

    ann.join("room").whisper("typing", { name: "ann" });
    await until(() => whispers.length === 1);
    expect(whispers[0]).toEqual({ name: "ann" });
  });
});
