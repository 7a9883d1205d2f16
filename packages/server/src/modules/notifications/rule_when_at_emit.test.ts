import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../../test-support/dialects.js";
import { startTestServer, type TestServer } from "../../testing.js";
import { builtInModules } from "../index.js";

describe.each(DIALECTS)("a rule's conditions decide at emit time (%s)", (database) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database, modules: builtInModules() });
  });
  afterAll(async () => {
    await server.close();
  });

  it("writes the chat-reply rule a delivery for an agent's message only, not a customer's", async () => {
    const message = (authorRole: string, n: number) => ({
      type: "chat.message_created",
      aggregate: "conversation:c-when",
      payload: {
        conversationId: "c-when",
        customerId: "cust-when",
        messageId: `m-when-${n}`,
        seq: n,
        authorRole,
        text: "hello",
      },
    });
    const handlers = await server.app.store.db.transaction().execute(async (trx) => {
      await server.app.events.emitAll(trx, [
        message("customer", 1),
        message("agent", 2),
        message("customer", 3),
      ]);
      // read inside the transaction: what the emit wrote, before any dispatcher pass
      return (
        await trx
          .selectFrom("event_deliveries")
          .select(["handler", "payload"])
          .where("handler", "=", "notifications.chat-reply")
          .execute()
      ).map((r) => (JSON.parse(r.payload) as { messageId: string }).messageId);
    });
    expect(handlers).toEqual(["m-when-2"]);
  });
});
