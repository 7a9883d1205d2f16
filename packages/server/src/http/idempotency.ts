import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Kysely } from "kysely";
import { SwitchboardError } from "../errors.js";
import type { Database } from "../store/schema.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * false: the route handles idempotency itself (POST /api/publish). "in-handler": the body
     * is read by the handler (multipart), which calls `request.claimIdempotency(digest)` with a
     * digest of what it read, so that a different file is a different request.
     */
    idempotency?: boolean | "in-handler";
  }
  interface FastifyRequest {
    idempotency?: { scope: string; key: string };
    /** On "in-handler" routes with an Idempotency-Key: claims it; true when a replay was sent. */
    claimIdempotency?: (bodyDigest: string) => Promise<boolean>;
  }
}

const KEY = /^[\x21-\x7e]{1,255}$/;
const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

function requestHash(request: FastifyRequest, bodyDigest?: string): string {
  return createHash("sha256")
    .update(request.method)
    .update("\n")
    .update(request.url)
    .update("\n")
    .update(bodyDigest ?? JSON.stringify(request.body ?? null))
    .digest("hex");
}

/**
 * Keys are per caller: two users never collide, and one cannot replay another's response. The
 * API key has a scope no token can name (an admin token acting on a server route, or a token
 * whose sub is "server", is still its own user).
 */
function scopeOf(request: FastifyRequest): string {
  const identity = request.identity;
  if (identity?.apiKey) return "api-key";
  return identity ? `user:${identity.user}` : "anonymous";
}

/**
 * `Idempotency-Key` on any REST write: the first request runs and its response is kept for 24 h;
 * a retry with the same key (same caller) gets that response back and changes nothing. The key is
 * claimed with an insert on a primary key, so two racing retries cannot both run.
 */
export function registerIdempotency(app: FastifyInstance, db: Kysely<Database>): void {
  app.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers["idempotency-key"];
    if (typeof key !== "string" || !WRITE_METHODS.has(request.method)) return;
    const mode = request.routeOptions.config.idempotency;
    if (mode === false) return;
    if (!KEY.test(key))
      throw new SwitchboardError(
        "bad_request",
        "Idempotency-Key must be 1-255 printable ASCII characters",
      );
    const scope = scopeOf(request);
    if (mode === "in-handler") {
      request.claimIdempotency = async (bodyDigest) => {
        await claim(request, reply, scope, key, requestHash(request, bodyDigest));
        return reply.sent;
      };
      return;
    }
    return claim(request, reply, scope, key, requestHash(request));
  });

  /** Claims the key for this request, or answers with the kept response (or a conflict). */
  async function claim(
    request: FastifyRequest,
    reply: FastifyReply,
    scope: string,
    key: string,
    hash: string,
  ): Promise<FastifyReply | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await db
        .insertInto("idempotency_keys")
        .values({
          scope,
          key,
          request_hash: hash,
          status: null,
          body: null,
          created_at: new Date().toISOString(),
        })
        .onConflict((oc) => oc.columns(["scope", "key"]).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
        request.idempotency = { scope, key };
        return;
      }
      const row = await db
        .selectFrom("idempotency_keys")
        .selectAll()
        .where("scope", "=", scope)
        .where("key", "=", key)
        .executeTakeFirst();
      if (!row) continue; // deleted meanwhile (a failed first attempt): claim it again
      if (Date.parse(row.created_at) < Date.now() - IDEMPOTENCY_RETENTION_MS) {
        await db
          .deleteFrom("idempotency_keys")
          .where("scope", "=", scope)
          .where("key", "=", key)
          .execute();
        continue;
      }
      if (row.request_hash !== hash) {
        throw new SwitchboardError(
          "conflict",
          "Idempotency-Key was already used for a different request",
        );
      }
      if (row.status === null) {
        throw new SwitchboardError(
          "conflict",
          "a request with this Idempotency-Key is still in progress; retry shortly",
          {
            retryAfterMs: 500,
          },
        );
      }
      reply.header("idempotent-replayed", "true");
      reply.header("content-type", "application/json; charset=utf-8");
      return reply.status(row.status).send(row.body ?? "");
    }
    throw new SwitchboardError("conflict", "could not claim the Idempotency-Key; retry");
  }

  app.addHook("onSend", async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = undefined;
    // A server failure is not a result: free the key so the client's retry runs for real.
    if (reply.statusCode >= 500) {
      await db
        .deleteFrom("idempotency_keys")
        .where("scope", "=", claim.scope)
        .where("key", "=", claim.key)
        .execute();
      return payload;
    }
    await db
      .updateTable("idempotency_keys")
      .set({
        status: reply.statusCode,
        body: typeof payload === "string" ? payload : JSON.stringify(payload ?? null),
      })
      .where("scope", "=", claim.scope)
      .where("key", "=", claim.key)
      .execute();
    return payload;
  });
}

/** Deletes keys past retention (a background job). */
export async function purgeIdempotencyKeys(db: Kysely<Database>): Promise<number> {
  const cutoff = new Date(Date.now() - IDEMPOTENCY_RETENTION_MS).toISOString();
  const r = await db
    .deleteFrom("idempotency_keys")
    .where("created_at", "<", cutoff)
    .executeTakeFirst();
  return Number(r.numDeletedRows ?? 0);
}
