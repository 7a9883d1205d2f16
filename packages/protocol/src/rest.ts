import { z } from "zod";

/**
 * The body of every REST error (and, with `type` and `id`, of an `error` frame). `code` is a
 * transport code or one a module declares in its contract.
 */
export const errorBodySchema = z
  .object({
    code: z.string().describe("A transport code (bad_request, unauthorized…) or the module's own"),
    message: z.string(),
    details: z.unknown().optional(),
    retryAfterMs: z.number().optional(),
  })
  .describe("Error");

export type ErrorBody = z.infer<typeof errorBodySchema>;

/**
 * Shapes every REST list shares: a page of items, newest or lowest key first, and the cursor to
 * ask for the next one (absent on the last page). Pass `nextCursor` back as `?cursor=`.
 */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .optional()
      .describe("Pass as `cursor` for the next page; absent on the last"),
  });
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}
