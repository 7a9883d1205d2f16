import { ROLES } from "@switchboard/protocol";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { type MintOptions, mintToken } from "../../auth/tokens.js";
import { errorResponses } from "../schemas.js";

const DEV_TOKEN_TTL_S = 24 * 3600;

/**
 * Development only: mints a token for any user and role, so the demo web app (and a newcomer
 * with curl) can sign in without an identity provider. Never registered in production.
 */
export function registerDevTokenRoute(
  app: FastifyInstance,
  secret: string,
  claims: Pick<MintOptions, "audience" | "issuer"> = {},
): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    "/api/dev/token",
    {
      config: { idempotency: false },
      schema: {
        summary: "Mint a token (development only)",
        description:
          "Exists only when NODE_ENV is not production. Returns a 24-hour HS256 token for the given user and role.",
        tags: ["development"],
        body: z.object({
          sub: z
            .string()
            .min(1)
            .max(64)
            .regex(/^[A-Za-z0-9_.@-]+$/, "letters, digits and _ . @ -"),
          name: z.string().min(1).max(100).optional(),
          role: z.enum(ROLES).default("customer"),
          vip: z.boolean().optional(),
        }),
        response: {
          200: z.object({ token: z.string(), expiresAt: z.string() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { sub, name, role, vip } = request.body;
      const token = await mintToken(secret, {
        ...claims,
        sub,
        role,
        ...(name && { name }),
        ...(vip !== undefined && { vip }),
        expiresInSeconds: DEV_TOKEN_TTL_S,
      });
      return { token, expiresAt: new Date(Date.now() + DEV_TOKEN_TTL_S * 1000).toISOString() };
    },
  );
}
