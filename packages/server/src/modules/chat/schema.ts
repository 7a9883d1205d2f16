import { z } from "zod";
import { pageQuery } from "../../platform/kit/pagination.js";
import { aboutSchema, PRIORITIES } from "./contract.js";

const skill = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9_-]+$/i, "letters, digits, _ or -");

export const openConversationBody = z.object({
  subject: z
    .union([z.string().min(1).max(200), aboutSchema])
    .optional()
    .describe(
      "A topic, or the item it is about ({type: product|order|appointment, id}): then it is routed to the item's team",
    ),
  skills: z.array(skill).max(10).optional(),
  priority: z.enum(PRIORITIES).optional(),
  tags: z.array(z.string().min(1).max(40)).max(20).optional(),
  metadata: z
    .object({
      source: z.string().max(100).optional(),
      url: z.string().max(2000).optional(),
      language: z.string().max(20).optional(),
    })
    .optional(),
  /** Staff or API key opening on behalf of a customer. */
  customerId: z.string().min(1).max(255).optional(),
});
export type OpenConversationInput = z.infer<typeof openConversationBody>;

export const agentBody = z.object({
  status: z.enum(["online", "busy", "offline"]),
  skills: z.array(skill).max(20).optional(),
  capacity: z.number().int().min(0).max(100).optional(),
  name: z.string().min(1).max(100).optional(),
});
export type AgentInput = z.infer<typeof agentBody>;

/** The text limit is a config value, so the message schema is built from config. */
const messageFields = (maxLength: number) => ({
  text: z.string().max(maxLength, `text is limited to ${maxLength} characters`).default(""),
  attachmentId: z.string().min(1).max(64).optional(),
  /** The client's own id for the message: a retry with the same id is stored once. */
  clientId: z.string().min(1).max(64).optional(),
});
const hasContent = (m: { text: string; attachmentId?: string | undefined }) =>
  m.text.trim().length > 0 || !!m.attachmentId;
const needsContent = { message: "a message needs text or an attachment" };

export function messageBody(maxLength: number) {
  return z.object(messageFields(maxLength)).refine(hasContent, needsContent);
}
/**
 * `chat.send` over the socket: the body and the conversation id as one object (one parse per
 * message; an intersection of the two parsed every message twice and merged the results).
 */
export function sendParams(maxLength: number) {
  return z
    .object({ id: z.string().min(1).max(64), ...messageFields(maxLength) })
    .refine(hasContent, needsContent);
}
export type MessageInput = {
  text: string;
  attachmentId?: string | undefined;
  clientId?: string | undefined;
};

export const receiptBody = z.object({ upTo: z.number().int().nonnegative() });
export const transferBody = z.object({
  agentId: z.string().min(1).max(255),
  note: z.string().max(500).optional(),
});
export const resolveBody = z.object({ rating: z.number().int().min(1).max(5).optional() });
export const conversationParams = z.object({ id: z.string().min(1).max(64) });
export const messagesQuery = z.object({
  before: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .describe("Messages with seq below this (older page)"),
  after: z.coerce
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe("Messages with seq above this (catch up)"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export const listConversationsQuery = z.object({
  status: z.enum(["waiting", "active", "resolved", "archived"]).optional(),
  mine: z.coerce.boolean().optional().describe("Agents: only conversations assigned to me"),
  teamId: z.string().min(1).max(40).optional().describe("Only conversations routed to this team"),
  ...pageQuery(),
});

/** Team ids are slugs: they appear in inventory items and catalog products. */
export const teamId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "lower-case letters, digits, _ or - (at most 40)");
export const teamParams = z.object({ teamId });
export const teamBody = z.object({
  name: z.string().min(1).max(100),
  members: z.array(z.string().min(1).max(255)).max(500).default([]),
  resources: z
    .array(z.string().min(1).max(100))
    .max(200)
    .default([])
    .describe("Appointment resources (salespeople, barbers) whose bookings the team answers for"),
});
export type TeamInput = z.infer<typeof teamBody>;
