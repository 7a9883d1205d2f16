/**
 * Server CPU per chat message, in process and without sockets (issue 20 item 4):
 *
 *   npx tsx --conditions=@switchboard/source bench/scenarios/chat-cost.ts
 *   CHAT_COST_BATCH=50 CHAT_COST_MODULES=chat npx tsx --conditions=@switchboard/source bench/scenarios/chat-cost.ts
 *
 * `npm run bench`'s chat step measures the server process from outside, but at a given rate its
 * CPU per message depends on how many messages share a group-commit batch, which depends on how
 * loaded the machine is: on a shared 2-core machine two runs of the same code differ by ±30%.
 * Here every loop turn submits exactly CHAT_COST_BATCH `chat.send` calls (default 20; 100
 * conversations, 25 agents, SQLite), so every batch has that size, and the CPU of the whole
 * process is counted until everything the messages set off is done (outbox rows published and
 * deleted, durable handlers run, unread rounds published). Three rounds; the median is printed.
 * CHAT_COST_MODULES (SWITCHBOARD_MODULES) leaves out modules to see what their handlers cost.
 */
import { sql } from "kysely";
import { chatHarness } from "../../packages/server/src/test-support/chat.js";
import { startTestServer } from "../../packages/server/src/testing.js";

const BATCH = Number(process.env.CHAT_COST_BATCH ?? 20);
const MESSAGES = Number(process.env.CHAT_COST_MESSAGES ?? 3000);
const modules = process.env.CHAT_COST_MODULES;

const server = await startTestServer({
  env: { SWITCHBOARD_CHAT_BOT: "off", ...(modules && { SWITCHBOARD_MODULES: modules }) },
});
const h = chatHarness(() => server);
try {
  const { app } = server;
  for (let i = 0; i < 25; i++) await h.agent(`cost-agent-${i}`, { capacity: 4 });
  const conversations: { id: string; user: string }[] = [];
  for (let i = 0; i < 100; i++) {
    const customer = await h.as(`cost-customer-${i}`);
    const r = await customer.call("POST", "/api/chat/conversations", { subject: "cost" });
    if (!r.body.agentId) throw new Error(`conversation ${r.body.id} was not assigned`);
    conversations.push({ id: r.body.id as string, user: customer.user });
  }
  const pending = async () =>
    Number(
      (await sql<{ n: number }>`select count(*) as n from event_deliveries`.execute(app.store.db))
        .rows[0]?.n,
    );
  /** Until nothing is left to publish, delete or handle (bounded: 10 s). */
  const settle = async () => {
    for (let i = 0; i < 2000 && (await pending()) > 0; i++)
      await new Promise((r) => setTimeout(r, 5));
  };
  let n = 0;
  const round = async (count: number) => {
    const replies: Promise<unknown>[] = [];
    for (let sent = 0; sent < count; ) {
      for (let k = 0; k < BATCH && sent < count; k++, sent++, n++) {
        const c = conversations[n % conversations.length] as { id: string; user: string };
        replies.push(
          app.rpc.call(
            "chat.send",
            { id: c.id, text: `m${n}`, clientId: `m${n}` },
            { identity: { user: c.user, role: "customer" } },
          ),
        );
      }
      await new Promise((r) => setImmediate(r)); // one batch per turn of the loop
    }
    await Promise.all(replies);
    await settle();
    await new Promise((r) => setTimeout(r, 60)); // the last unread round
    await settle();
  };
  await round(1000); // warm-up: JIT, statement caches
  const perMessage: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage();
    const start = performance.now();
    await round(MESSAGES);
    const cpu = process.cpuUsage(before);
    const us = (cpu.user + cpu.system) / MESSAGES;
    perMessage.push(us);
    const rate = MESSAGES / ((performance.now() - start) / 1000);
    console.log(
      `batch ${BATCH}, round ${i + 1}: ${us.toFixed(0)} µs CPU per message (${rate.toFixed(0)} messages/s)`,
    );
  }
  perMessage.sort((a, b) => a - b);
  console.log(
    `chat-cost: batch ${BATCH}, modules ${modules ?? "all"}: median ${perMessage[1]?.toFixed(0)} µs CPU per message`,
  );
} finally {
  h.cleanup();
  await server.close();
}
