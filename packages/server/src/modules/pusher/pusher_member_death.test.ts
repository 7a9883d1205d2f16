import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import PusherServer from "pusher";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../store/db.js";
import { type ServerProcess, startServerProcess } from "../../test-support/process.js";
import {
  dropPrefix,
  POSTGRES_URL,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
} from "../../test-support/services.js";
import type { TestServer } from "../../testing.js";
import { type WebhookEvent, webhookBodySchema } from "./contract.js";
import { APP, pusherEnv, RawPusher, until } from "./test-kit.js";

const clusterUp = (await redisAvailable()) && (await postgresAvailable());

/** The app's backend: signs presence auth and checks webhooks, with the `pusher` SDK. */
const backend = new PusherServer({
  appId: APP.id,
  key: APP.key,
  secret: APP.secret,
  host: "127.0.0.1",
});

/**
 * A webhook receiver on loopback that checks every request with the SDK's helper (refusing
 * `member_removed` batches while `refusing`), and `count` server processes on one Redis prefix
 * and one PostgreSQL schema, started as a cluster is; `close` removes all of it.
 */
async function startCluster(count: number, prefixOf: string) {
  const dataDir = mkdtempSync(join(tmpdir(), `switchboard-${prefixOf}-`));
  const prefix = `sbtest:${randomBytes(6).toString("hex")}:`;
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const nodes: ServerProcess[] = [];
  const raws: RawPusher[] = [];
  const state = { delivered: [] as WebhookEvent[], invalid: 0, refusing: false };
  const receiver: Server = createServer((req, res) => {
    let rawBody = "";
    req.on("data", (c: Buffer) => {
      rawBody += c.toString();
    });
    req.on("end", () => {
      const hook = backend.webhook({ headers: req.headers as Record<string, string>, rawBody });
      if (!hook.isValid()) {
        state.invalid++;
        res.statusCode = 401;
        res.end();
        return;
      }
      const events = webhookBodySchema.shape.events.parse(hook.getEvents());
      if (state.refusing && events.some((e) => e.name === "member_removed")) {
        res.statusCode = 503; // retried through the durable pipeline
        res.end();
        return;
      }
      state.delivered.push(...events);
      res.end();
    });
  });
  const close = async () => {
    for (const r of raws) r.close();
    for (const n of nodes) n.kill("SIGKILL");
    await Promise.all(nodes.map((n) => n.exited));
    receiver.closeAllConnections();
    receiver.close();
    const s = await openStore({ databaseUrl: POSTGRES_URL, dataDir });
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(s.db);
    await s.close();
    await dropPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const { port } = receiver.address() as AddressInfo;
    const store = await openStore({ databaseUrl: POSTGRES_URL, dataDir }, { schema });
    await store.close();
    const env = {
      NODE_ENV: "test",
      DATABASE_URL: `${POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      REDIS_URL,
      SWITCHBOARD_REDIS_PREFIX: prefix,
      SWITCHBOARD_DATA_DIR: dataDir,
      SWITCHBOARD_CHAT_BOT: "off",
      SWITCHBOARD_NODE_TTL_MS: "3000",
      SWITCHBOARD_EVENTS_LEASE_MS: "5000",
      ...pusherEnv({ SWITCHBOARD_PUSHER_WEBHOOK_URLS: `http://127.0.0.1:${port}/hook` }),
    };
    // one at a time: the first runs the migrations
    nodes.push(await startServerProcess(env, 180_000));
    const rest = Array.from({ length: count - 1 }, () => startServerProcess(env, 180_000));
    nodes.push(...(await Promise.all(rest)));
  } catch (error) {
    await close();
    throw error;
  }
  /** A raw Pusher socket on `node` joining presence `channels` as `user` (signed by the SDK). */
  const joinAs = async (node: ServerProcess, user: string, channels: string[]) => {
    const raw = await RawPusher.open({ port: Number(new URL(node.url).port) } as TestServer);
    raws.push(raw);
    const socketId = await raw.socketId();
    for (const channel of channels) {
      const signed = backend.authorizeChannel(socketId, channel, {
        user_id: user,
        user_info: { name: user },
      });
      raw.send({ event: "pusher:subscribe", data: { channel, ...signed } });
      await raw.next(
        (f) => f.event === "pusher_internal:subscription_succeeded" && f.channel === channel,
      );
    }
    return raw;
  };
  /** Departures recorded in the cluster's database. */
  const departures = async () => {
    const s = await openStore({ databaseUrl: POSTGRES_URL, dataDir }, { schema });
    try {
      return (
        await s.db
          .selectFrom("pusher_departures")
          .select("key")
          .where("key", "not like", "vacated:%")
          .execute()
      ).length;
    } finally {
      await s.close();
    }
  };
  /** Member webhooks delivered, as "event channel user". */
  const members = () =>
    state.delivered
      .filter((e) => e.name === "member_added" || e.name === "member_removed")
      .map((e) => `${e.name} ${e.channel} ${e.user_id}`);
  return { nodes, state, joinAs, departures, members, close };
}

/**
 * kill -9 of a node holding presence members: each member whose last connection was there gets
 * exactly one `member_removed` webhook — though two survivors hear the reap — and a member still
 * connected to a survivor gets none. The webhooks are committed before they are delivered: the
 * receiver refuses them until the survivor that may have recorded them was killed too, and the
 * last node delivers them. Three server processes on Redis and one PostgreSQL; the receiver
 * checks every request with the SDK's own webhook helper.
 */
describe.runIf(clusterUp)("member_removed when a node dies", () => {
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  afterAll(async () => cluster?.close(), 60_000);

  it("sends member_removed once per member that died with its node", async () => {
    cluster = await startCluster(3, "pusher-members");
    const { nodes, state, joinAs, departures } = cluster;
    state.refusing = true;
    const [a, victim] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const watcher = await joinAs(a, "u-alive", ["presence-room"]);
    await joinAs(victim, "u-dead", ["presence-room", "presence-two"]);
    await joinAs(victim, "u-both", ["presence-room"]);
    await joinAs(a, "u-both", ["presence-room"]);
    await until(() => cluster?.members().length === 4, 60_000);

    victim.kill("SIGKILL");
    await victim.exited;
    // the survivors' clients hear the member leave
    await watcher.next(
      (f) =>
        f.event === "pusher_internal:member_removed" &&
        (f.data as { user_id: string }).user_id === "u-dead",
    );
    // both departures are committed (as rows and durable webhooks) before any is delivered
    await until(async () => (await departures()) >= 2, 90_000);
    await new Promise((r) => setTimeout(r, 4000)); // a second survivor's insert would show
    expect(await departures()).toBe(2);
    expect(
      watcher.frames.filter(
        (f) =>
          f.event === "pusher_internal:member_removed" &&
          (f.data as { user_id: string }).user_id === "u-both",
      ),
    ).toEqual([]);

    // the node that may have recorded them dies too; the last one delivers them
    a.kill("SIGKILL");
    await a.exited;
    state.refusing = false;
    const removed = () =>
      state.delivered
        .filter((e) => e.name === "member_removed")
        .map((e) => `${e.channel} ${e.user_id}`)
        .sort();
    await until(() => removed().length >= 4, 120_000);
    await new Promise((r) => setTimeout(r, 6000)); // a duplicate would show up by now
    expect(removed()).toEqual([
      "presence-room u-alive",
      "presence-room u-both",
      "presence-room u-dead",
      "presence-two u-dead",
    ]);
    expect(state.invalid).toBe(0);
  }, 500_000);
});

/**
 * A node cut off long enough to be reaped (SIGSTOP past its heartbeat's life) whose sockets are
 * still open: its members get `member_removed`, and `member_added` once it is back and puts
 * them back (SIGCONT), each once.
 */
describe.runIf(clusterUp)("member webhooks when a reaped node comes back", () => {
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  afterAll(async () => cluster?.close(), 60_000);

  it("sends member_removed on the reap and member_added on the return", async () => {
    cluster = await startCluster(2, "pusher-return");
    const { nodes, state, joinAs, members, departures } = cluster;
    const [a, paused] = nodes as [ServerProcess, ServerProcess];
    const watcher = await joinAs(a, "u-watch", ["presence-room"]);
    await joinAs(paused, "u-away", ["presence-room"]);
    await until(() => members().length === 2, 60_000);

    const mark = watcher.frames.length;
    paused.kill("SIGSTOP");
    try {
      // recorded by the survivor; not awaited as delivered: a process frozen inside a durable
      // event's transaction holds its row lock, and the cluster's claims wait for it to go on
      await until(async () => (await departures()) === 1, 90_000);
    } finally {
      paused.kill("SIGCONT");
    }
    await until(() => members().length === 4, 90_000);
    // the survivor's client saw it leave and come back
    await watcher.next((f) => f.event === "pusher_internal:member_added", mark);
    expect(
      watcher.frames
        .slice(mark)
        .filter((f) => f.event.startsWith("pusher_internal:member_"))
        .map((f) => `${f.event} ${(f.data as { user_id: string }).user_id}`),
    ).toEqual(["pusher_internal:member_removed u-away", "pusher_internal:member_added u-away"]);
    await new Promise((r) => setTimeout(r, 6000)); // a duplicate would show up by now
    // the first two joins were on two nodes, each in its own request: either may come first
    expect(members().slice(0, 2).sort()).toEqual([
      "member_added presence-room u-away",
      "member_added presence-room u-watch",
    ]);
    expect(members().slice(2)).toEqual([
      "member_removed presence-room u-away",
      "member_added presence-room u-away",
    ]);
    expect(state.invalid).toBe(0);
  }, 500_000);
});
