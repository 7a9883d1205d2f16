import type { Publication, StreamPosition } from "@switchboard/protocol";
import type { HistoryQuery, HistoryResult } from "./types.js";

export interface SelectOptions {
  /** Serialized size of a publication (what it costs in a reply). */
  sizeOf(publication: Publication): number;
  /**
   * The oldest offset the stream retains, when `retained` is only a window of it (Redis reads
   * only the range a query needs): older ones exist even if the window starts later.
   */
  oldest?: number;
}

/**
 * Whether a position is the stream's very beginning: offset 0 has seen nothing, so any epoch's
 * offset 1 follows it (a stream is created by its first publish, not by reads, so a reader of an
 * empty channel holds an epoch the stream will not have).
 */
export function isStart(position: StreamPosition): boolean {
  return position.offset === 0;
}

/**
 * Picks what a history query returns from a stream's retained publications (oldest first,
 * contiguous offsets, already trimmed by size and TTL). Shared by every broker so they agree.
 * A reply stops at `query.maxBytes` of publications (at least one, so paging always moves) and
 * says `more` when publications it left out are there.
 */
export function selectHistory(
  position: StreamPosition,
  retained: readonly Publication[],
  query: HistoryQuery,
  options: SelectOptions,
): HistoryResult {
  const { since, limit } = query;
  const maxBytes = query.maxBytes ?? Number.POSITIVE_INFINITY;
  if (!since) {
    // The latest `limit` (below `before`), newest kept first when the byte cap cuts.
    let end = retained.length;
    if (query.before !== undefined) {
      while (end > 0 && (retained[end - 1] as Publication).offset >= query.before) end--;
    }
    let start = end;
    let bytes = 0;
    while (start > 0 && end - start < limit) {
      bytes += options.sizeOf(retained[start - 1] as Publication);
      if (start < end && bytes > maxBytes) break;
      start--;
    }
    const publications = retained.slice(start, end);
    const oldest = options.oldest ?? retained[0]?.offset;
    const first = publications[0]?.offset;
    return {
      ...position,
      publications,
      complete: true,
      more: first !== undefined && oldest !== undefined && first > oldest,
    };
  }
  const sameStream = since.epoch === position.epoch || isStart(since);
  if (!sameStream || since.offset > position.offset) {
    return { ...position, publications: [], complete: false, more: false };
  }
  if (since.offset === position.offset)
    return { ...position, publications: [], complete: true, more: false };
  const oldest = retained[0]?.offset ?? position.offset + 1;
  const start = Math.max(0, since.offset + 1 - oldest);
  let end = start;
  let bytes = 0;
  while (end < retained.length && end - start < limit) {
    bytes += options.sizeOf(retained[end] as Publication);
    if (end > start && bytes > maxBytes) break;
    end++;
  }
  const publications = retained.slice(start, end);
  const last = publications.at(-1)?.offset;
  return {
    ...position,
    publications,
    complete: oldest <= since.offset + 1,
    more: last !== undefined && last < position.offset,
  };
}
