import { ERROR_CODES } from "@switchboard/protocol";
import { z } from "zod";

export const errorBodySchema = z
  .object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.unknown().optional(),
    retryAfterMs: z.number().optional(),
  })
  .describe("Error");

/** Standard error responses for a route, for OpenAPI. */
export const errorResponses = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  503: errorBodySchema,
} as const;
