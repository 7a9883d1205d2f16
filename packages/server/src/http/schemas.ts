import { errorBodySchema } from "@switchboard/protocol";

export { errorBodySchema };

/** Standard error responses for a route, for OpenAPI. */
export const errorResponses = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  503: errorBodySchema,
} as const;
