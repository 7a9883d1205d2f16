import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
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
import type { WebhookEvent } from "./contract.js";
import { pusherEnv, RawPusher, until } from "./test-kit.js";

const clusterUp = (await redisAvailable()) && (await postgresAvailable());

/**
 * kill -9 of the node holding a channel's last subscribers: the survivors reap its presence and
 * one of them sends `channel_vacated` — once, though two survivors hear the reap — and not for a
 * channel a survivor still holds. Three server processes on Redis and one PostgreSQL.
 */
describe.runIf(clusterUp)("channel_vacated when a node dies", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "switchboard-pusher-death-"));
  const prefix = `sbtest:${randomBytes(6).toString("hex")}:`;
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const nodes: ServerProcess[] = [];
  const raws: RawPusher[] = [];
  const events: WebhookEvent[] = [];
  let receiver: Server | undefined;

  afterAll(async () => {
    for (const r of raws) r.close();
    for (const n of nodes) n.kill();
    await Promise.all(nodes.map((n) => n.exited));
    receiver?.closeAllConnections();
    receiver?.close();
    const s = await openStore({ databaseUrl: POSTGRES_URL, dataDir });
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(s.db);
    await s.close();
    await dropPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("sends channel_vacated once for a channel only the dead node held", async () => {
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        events.push(...(JSON.parse(body) as { events: WebhookEvent[] }).events);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver?.listen(0, "127.0.0.1", r));
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
      ...pusherEnv({ SWITCHBOARD_PUSHER_WEBHOOK_URLS: `http://127.0.0.1:${port}/hook` }),
    };
    // one at a time: the first runs the migrations
    nodes.push(await startServerProcess(env, 180_000));
    nodes.push(
      ...(await Promise.all([startServerProcess(env, 180_000), startServerProcess(env, 180_000)])),
    );
    const [a, victim] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const open = async (node: ServerProcess) => {
      const raw = await RawPusher.open({ port: Number(new URL(node.url).port) } as TestServer);
      raws.push(raw);
      await raw.socketId();
      return raw;
    };
    const subscribe = async (raw: RawPusher, channel: string) => {
      raw.send({ event: "pusher:subscribe", data: { channel } });
      await raw.next(
        (f) => f.event === "pusher_internal:subscription_succeeded" && f.channel === channel,
      );
    };
    const onVictim = await open(victim);
    await subscribe(onVictim, "lonely");
    await subscribe(onVictim, "shared");
    await subscribe(await open(a), "shared");
    await until(() => events.filter((e) => e.name === "channel_occupied").length === 2, 60_000);

    victim.kill("SIGKILL");
    await victim.exited;
    await until(() => events.some((e) => e.name === "channel_vacated"), 90_000);
    // a second survivor's task, or a retry, would show up within a few seconds
    await new Promise((r) => setTimeout(r, 6000));
    const vacated = events.filter((e) => e.name === "channel_vacated");
    expect(vacated).toEqual([{ name: "channel_vacated", channel: "lonely" }]);
  }, 400_000);
});
