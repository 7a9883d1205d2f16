import { ulid } from "../../ids.js";
import type { Bm25Index } from "./bot/bm25.js";
import { createFaqResponder } from "./bot/faq.js";
import { DEFAULT_KNOWLEDGE_DIR, loadKnowledge, type Passage } from "./bot/knowledge.js";
import { createOpenAiResponder } from "./bot/openai.js";
import type { Responder } from "./bot/responder.js";
import { conversationChannel } from "./contract.js";
import type { ChatDeps } from "./deps.js";
import type { Messages } from "./messages.js";
import type { ChatConversationRow } from "./migrations.js";
import { BOT_USER } from "./names.js";
import type { Routing } from "./routing.js";

export const BOT_ID = BOT_USER;
const ASKS_FOR_HUMAN = /\b(human|person|agent|someone|representative|operator)\b/i;

export function createResponder(deps: ChatDeps, index: Bm25Index<Passage>): Responder | undefined {
  const bot = deps.config.bot;
  if (bot.provider === "off") return undefined;
  if (bot.provider === "openai" && bot.openai) return createOpenAiResponder(index, bot.openai);
  return createFaqResponder(index);
}

export function loadBotKnowledge(deps: ChatDeps): Bm25Index<Passage> {
  return loadKnowledge(deps.config.bot.knowledgeDir ?? DEFAULT_KNOWLEDGE_DIR);
}

/**
 * While no agent has a conversation, the bot answers the customer: it streams `bot_delta`
 * signals (no offset, no history), then stores the whole answer as a `message` with its sources
 * and confidence. Unsure, or asked for a person, it says so, goes quiet, and the conversation
 * stays in the queue for a human.
 */
export function createBot(
  deps: ChatDeps,
  responder: Responder,
  messages: Messages,
  routing: Routing,
) {
  const { db, logger } = deps;
  const running = new Set<Promise<void>>();

  async function handOver(conversation: ChatConversationRow, why: string): Promise<void> {
    const muted = await db
      .updateTable("chat_conversations")
      .set({ bot_muted: 1 })
      .where("id", "=", conversation.id)
      .where("bot_muted", "=", 0)
      .executeTakeFirst();
    if (Number(muted.numUpdatedRows) !== 1) return;
    const queue = await routing.loadQueue();
    const place = queue.findIndex((c) => c.id === conversation.id) + 1;
    await messages.append(conversation.id, {
      authorId: BOT_ID,
      authorRole: "bot",
      text: `${why} I'm passing you to a person${place > 0 ? ` — you are number ${place} in line` : ""}.`,
      meta: { handover: true },
    });
  }

  async function reply(
    conversation: Pick<ChatConversationRow, "id">,
    question: string,
  ): Promise<void> {
    const fresh = await db
      .selectFrom("chat_conversations")
      .selectAll()
      .where("id", "=", conversation.id)
      .executeTakeFirst();
    if (fresh?.status !== "waiting" || fresh.bot_muted) return;
    if (ASKS_FOR_HUMAN.test(question)) return handOver(fresh, "Of course.");
    const history = await db
      .selectFrom("chat_messages")
      .select(["author_role", "text"])
      .where("conversation_id", "=", fresh.id)
      .orderBy("seq", "desc")
      .limit(10)
      .execute();
    const answer = await responder.answer(
      question,
      history.reverse().map((m) => ({
        role: m.author_role === "customer" ? "customer" : m.author_role === "bot" ? "bot" : "agent",
        text: m.text,
      })),
    );
    if (answer.confidence < deps.config.bot.minConfidence)
      return handOver(fresh, "I'm not sure I can answer that well.");
    const id = ulid();
    let text = "";
    let index = 0;
    for await (const delta of answer.tokens) {
      text += delta;
      await deps.broker.broadcast({
        kind: "signal",
        channel: conversationChannel(fresh.id),
        event: "bot_delta",
        data: { conversationId: fresh.id, messageId: id, index: index++, delta },
        ts: Date.now(),
        from: { user: BOT_ID },
      });
    }
    if (!text.trim()) return handOver(fresh, "I don't have an answer for that.");
    await messages.append(fresh.id, {
      id,
      authorId: BOT_ID,
      authorRole: "bot",
      text: text.trim().slice(0, 4000),
      meta: { responder: responder.name, sources: answer.sources, confidence: answer.confidence },
    });
  }

  return {
    /** Called after each customer message; runs in the background (the customer's send returns at once). */
    onCustomerMessage(
      conversation: Pick<ChatConversationRow, "id" | "status" | "bot_muted">,
      question: string,
    ): void {
      if (conversation.status !== "waiting" || conversation.bot_muted) return;
      const run = reply(conversation, question).catch((err) =>
        logger.warn({ err, conversation: conversation.id }, "bot reply failed"),
      );
      running.add(run);
      void run.finally(() => running.delete(run));
    },
    async settled(): Promise<void> {
      await Promise.allSettled([...running]);
    },
  };
}
