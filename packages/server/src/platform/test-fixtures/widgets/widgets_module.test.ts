import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../config.js";
import { builtInModules } from "../../../modules/index.js";
import { restCall } from "../../../test-support/rest.js";
import { closeAll, RawClient } from "../../../test-support/ws-client.js";
import { startTestServer, type TestServer } from "../../../testing.js";
import { spinSchema, widgetChannel } from "./contract.js";
import { widgetsModule } from "./index.js";

const modules = [...builtInModules(), widgetsModule];

describe("a module in a test folder, declared without touching a core file", () => {
  let server: TestServer;
  const clients: RawClient[] = [];
  const connect = async (sub: string, claims?: Record<string, unknown>) => {
    const c = await RawClient.connect(server.wsUrl, await server.token({ sub, claims }));
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startTestServer({ modules, env: { SWITCHBOARD_WIDGETS_MAX_TURNS: "5" } });
  });
  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });

  it("gets its namespace with its policy: anyone watches, only the owner publishes", async () => {
    const alice = await connect("alice");
    const bob = await connect("bob");
    await bob.subscribe(widgetChannel("alice"));
    expect(
      await alice.request({ type: "publish", channel: widgetChannel("alice"), event: "hi" }),
    ).toMatchObject({ type: "published", offset: 1 });
    expect(await bob.next((f) => f.type === "message")).toMatchObject({ event: "hi", offset: 1 });
    expect(
      await bob.request({ type: "publish", channel: widgetChannel("alice"), event: "hi" }),
    ).toMatchObject({ type: "error", code: "forbidden" });
  });

  it("lets clients send the signals it declares, and only those", async () => {
    const carol = await connect("carol");
    const wave = { type: "signal", channel: widgetChannel("carol"), data: {} };
    expect(await carol.request({ ...wave, event: "wave" })).toMatchObject({ type: "ok" });
    expect(await carol.request({ ...wave, event: "shout" })).toMatchObject({
      type: "error",
      code: "bad_request",
      details: { allowed: ["wave"] },
    });
  });

  it("answers its own error code with its own HTTP status, over REST and rpc", async () => {
    const token = await server.token({ sub: "dave" });
    const jammed = await restCall(server, "POST", "/api/widgets/dave/spin", {
      token,
      body: { turns: 6 },
    });
    expect(jammed).toMatchObject({
      status: 423,
      body: { code: "widget_jammed", details: { maxTurns: 5 } },
    });
    const dave = await connect("dave");
    expect(
      await dave.request({
        type: "rpc",
        method: "widgets.spin",
        params: { owner: "dave", turns: 9 },
      }),
    ).toMatchObject({ type: "error", code: "widget_jammed", details: { maxTurns: 5 } });
  });

  it("reads its config variable from the environment (5 turns here, not the default 3)", async () => {
    const token = await server.token({ sub: "erin" });
    const spun = await restCall(server, "POST", "/api/widgets/erin/spin", {
      token,
      body: { turns: 5 },
    });
    expect(spun).toMatchObject({ status: 200, body: { owner: "erin", turns: 5, by: "erin" } });
  });

  it("publishes payloads its contract describes, with the claim it declared", async () => {
    const watcher = await connect("watcher");
    await watcher.subscribe(widgetChannel("frank"));
    const frank = await connect("frank", { widgetColor: "blue" });
    await frank.request({
      type: "rpc",
      method: "widgets.spin",
      params: { owner: "frank", turns: 2 },
    });
    const event = await watcher.next((f) => f.type === "message" && f.event === "spin");
    expect(spinSchema.parse(event.data)).toEqual({
      owner: "frank",
      turns: 2,
      by: "frank",
      color: "blue",
    });
  });

  it("refuses a token whose claim breaks the module's claim schema", async () => {
    const token = await server.token({ sub: "gina", claims: { widgetColor: "green" } });
    const r = await restCall(server, "POST", "/api/widgets/gina/spin", {
      token,
      body: { turns: 1 },
    });
    expect(r).toMatchObject({ status: 401, body: { code: "unauthorized" } });
  });

  it("answers 401, not a crash, on a route that forgot its auth hook", async () => {
    const r = await restCall(server, "GET", "/api/widgets/forgotten-hook");
    expect(r).toMatchObject({ status: 401, body: { code: "unauthorized" } });
  });
});

describe("the module's config section", () => {
  it("stops start-up with the variable's name and what is wrong", () => {
    const bad = () =>
      loadConfig({ NODE_ENV: "test", SWITCHBOARD_WIDGETS_MAX_TURNS: "99" }, modules);
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/SWITCHBOARD_WIDGETS_MAX_TURNS: .*10.* \(got "99"\)/);
  });

  it("is not read when SWITCHBOARD_MODULES leaves the module out", () => {
    const config = loadConfig(
      { NODE_ENV: "test", SWITCHBOARD_MODULES: "orders", SWITCHBOARD_WIDGETS_MAX_TURNS: "99" },
      modules,
    );
    expect(config.modules).toEqual(["orders"]);
    expect(config.moduleSettings).toEqual({ orders: expect.any(Object) });
  });
});

describe("SWITCHBOARD_MODULES", () => {
  let server: TestServer;
  afterAll(async () => {
    await server?.close();
  });

  it("runs only the modules it names: their routes, namespaces and codes, no one else's", async () => {
    server = await startTestServer({ modules, env: { SWITCHBOARD_MODULES: "widgets" } });
    expect(server.app.modules.map((m) => m.name)).toEqual(["widgets"]);
    const token = await server.token({ sub: "hank" });
    expect(
      (await restCall(server, "POST", "/api/widgets/hank/spin", { token, body: { turns: 1 } }))
        .status,
    ).toBe(200);
    expect((await restCall(server, "GET", "/api/orders")).status).toBe(404);
    const c = await RawClient.connect(server.wsUrl, token);
    try {
      expect(await c.request({ type: "subscribe", channel: "product:tee" })).toMatchObject({
        code: "forbidden",
        message: 'unknown namespace "product"',
      });
      expect((await c.subscribe(widgetChannel("hank"))).type).toBe("subscribed");
      expect((await c.subscribe("user:hank")).type).toBe("subscribed");
    } finally {
      c.close();
    }
  });

  it("refuses a module this server does not have, naming the ones it has", () => {
    expect(() => loadConfig({ NODE_ENV: "test", SWITCHBOARD_MODULES: "orders,payroll" })).toThrow(
      /SWITCHBOARD_MODULES: unknown module "payroll" \(this server has: orders, chat, inventory[^)]*\)/,
    );
  });
});
