import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import multipart from "@fastify/multipart";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import type { AuthHooks } from "../../http/auth.js";
import { errorBodySchema, errorResponses } from "../../http/schemas.js";
import { nameForType } from "./file-names.js";
import type { ChatService } from "./service.js";

const attachmentSchema = z
  .object({ id: z.string(), name: z.string(), mime: z.string(), size: z.number().int() })
  .describe("Attachment");

/** Uploads (multipart, checked by content) and downloads (participants only). */
export async function registerAttachmentRoutes(
  app: FastifyInstance,
  chat: ChatService,
  auth: AuthHooks,
  maxBytes: number,
): Promise<void> {
  await app.register(multipart, {
    limits: { fileSize: maxBytes, files: 1, fields: 5, fieldSize: 1024 },
  });
  const r = app.withTypeProvider<ZodTypeProvider>();
  const security = [{ bearer: [] }];
  const tags = ["chat"];

  r.post(
    "/api/chat/attachments",
    {
      onRequest: auth.user,
      // The file is read by the handler: it claims the Idempotency-Key with a digest of it.
      config: { idempotency: "in-handler" },
      schema: {
        summary: "Upload an attachment to a conversation",
        description: `multipart/form-data with a \`conversationId\` field, then one \`file\`. The type is read from the bytes (jpeg, png, gif, pdf, plain text by default), never from the name, and the stored name gets the extension of that type; at most ${maxBytes} bytes. Send the returned id as \`attachmentId\` in a message. With an \`Idempotency-Key\`, a retry must carry the same conversation, name and bytes (else 409).`,
        tags,
        security,
        consumes: ["multipart/form-data"],
        response: { 201: attachmentSchema, ...errorResponses, 413: errorBodySchema },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw new SwitchboardError("bad_request", "send multipart/form-data");
      let conversationId: string | undefined;
      let stored: z.infer<typeof attachmentSchema> | undefined;
      for await (const part of request.parts()) {
        if (part.type === "field") {
          if (part.fieldname === "conversationId" && typeof part.value === "string")
            conversationId = part.value;
          continue;
        }
        if (!conversationId)
          throw new SwitchboardError(
            "bad_request",
            "the conversationId field must come before the file",
          );
        let bytes: Buffer;
        try {
          bytes = await part.toBuffer();
        } catch (error) {
          if (error instanceof Error && /too large/i.test(error.message)) {
            throw new SwitchboardError("too_large", `files are limited to ${maxBytes} bytes`);
          }
          throw error;
        }
        // A retry must send the same file: a different one is a different request (409).
        const digest = createHash("sha256")
          .update(conversationId)
          .update("\n")
          .update(part.filename ?? "")
          .update("\n")
          .update(bytes)
          .digest("hex");
        if (request.claimIdempotency && (await request.claimIdempotency(digest))) return reply;
        stored = await chat.attachments.store(
          request.identity as Identity,
          conversationId,
          part.filename,
          bytes,
        );
      }
      if (!stored) throw new SwitchboardError("bad_request", "no file in the upload");
      return reply.status(201).send(stored);
    },
  );

  r.get(
    "/api/chat/attachments/:id",
    {
      onRequest: auth.user,
      schema: {
        summary: "Download an attachment (the conversation's participants only)",
        description:
          "Always served as a download (`Content-Disposition: attachment`) with `Content-Security-Policy: sandbox` and `nosniff`; the file name's extension matches the type detected from the bytes.",
        tags,
        security,
        params: z.object({ id: z.string().min(1).max(64) }),
      },
    },
    async (request, reply) => {
      const file = await chat.attachments.locate(request.identity as Identity, request.params.id);
      // Always a download, never a page of ours: even opened directly, the file runs no script
      // (sandbox) and is not sniffed into something else; its name says what it is.
      const name = nameForType(file.name, file.mime).replace(/"/g, "");
      return reply
        .header("content-type", file.mime)
        .header("content-length", file.size)
        .header("content-disposition", `attachment; filename="${name}"`)
        .header("content-security-policy", "sandbox")
        .header("cache-control", "private, max-age=3600")
        .header("x-content-type-options", "nosniff")
        .send(createReadStream(file.path));
    },
  );
}
