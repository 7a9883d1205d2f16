import type { Publication, StreamPosition } from "@switchboard/protocol";
import type { HistoryQuery, HistoryResult } from "./types.js";

/**
 * Picks what a history query returns from a stream's retained publications (oldest first,
 * contiguous offsets, already trimmed by size and TTL). Shared by every broker so they agree.
 */
export function selectHistory(
  position: StreamPosition,
  retained: readonly Publication[],
  query: HistoryQuery,
): HistoryResult {
  const { since, limit } = query;
  if (!since) {
    return {
      ...position,
      publications: retained.slice(Math.max(0, retained.length - limit)),
      complete: true,
    };
  }
  if (since.epoch !== position.epoch || since.offset > position.offset) {
    return { ...position, publications: [], complete: false };
  }
  if (since.offset === position.offset) return { ...position, publications: [], complete: true };
  const oldest = retained[0]?.offset ?? position.offset + 1;
  const start = Math.max(0, since.offset + 1 - oldest);
  return {
    ...position,
    publications: retained.slice(start, start + limit),
    complete: oldest <= since.offset + 1,
  };
}
