import { createAgents } from "./agents.js";
import { createAttachments } from "./attachments.js";
import { createBot, createResponder, loadBotKnowledge } from "./bot.js";
import { createConversations } from "./conversations.js";
import type { ChatDeps } from "./deps.js";
import { createMessages } from "./messages.js";
import { createRouting } from "./routing.js";
import { createSubjects } from "./subjects.js";
import { createTeams } from "./teams.js";
import { createUnread } from "./unread.js";

/** Support chat: conversations, agents and routing, messages and receipts, attachments, the bot. No HTTP, no sockets. */
export function createChatService(base: ChatDeps) {
  const unread = createUnread(base);
  const deps: ChatDeps = {
    ...base,
    unreadChanged: (users) => void unread.changed(users),
  };
  const teams = createTeams(deps);
  const subjects = createSubjects(deps, teams);
  const routing = createRouting(deps, teams);
  const conversations = createConversations(deps, routing, teams, subjects);
  const agents = createAgents(deps, routing, conversations);
  let bot: ReturnType<typeof createBot> | undefined;
  const messages = createMessages(deps, conversations, (conversation, message) =>
    bot?.onCustomerMessage(conversation, message.text),
  );
  const responder = createResponder(deps, loadBotKnowledge(deps));
  if (responder) bot = createBot(deps, responder, messages, routing);
  const attachments = createAttachments(deps, conversations);
  return {
    teams,
    routing,
    conversations,
    agents,
    messages,
    attachments,
    unread,
    /** Resolves when background bot replies and unread publishes have finished (tests, shutdown). */
    settled: async () => {
      await bot?.settled();
      await unread.settled();
    },
  };
}

export type ChatService = ReturnType<typeof createChatService>;
