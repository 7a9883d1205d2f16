import { z } from "zod";

/**
 * Shapes every REST list shares: a page of items, newest or lowest key first, and the cursor to
 * ask for the next one (absent on the last page). Pass `nextCursor` back as `?cursor=`.
 */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().optional().describe("Pass as `cursor` for the next page; absent on the last"),
  });
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}
