/**
 * Realtime publications are deliveries of the durable event table, for one built-in handler:
 * the outbox (store/outbox.ts) writes them, publishes them right after the commit, and its sweep
 * takes over what a crash or a broker outage left. The aggregate is the channel, so one channel's
 * messages keep their order the way one aggregate's events do.
 */
export const PUBLICATION_HANDLER = "realtime.publish";
/** The `type` of publication rows (dead-letter filters name it). */
export const PUBLICATION_TYPE = "realtime.publication";

/** The payload of a publication row: what the broker is asked to publish. */
export interface PublicationPayload {
  channel: string;
  event: string;
  data: unknown;
  /** The broker's idempotency key: a repeat (retry, replay after a crash) is delivered once. */
  key: string;
  /**
   * More messages for the same channel, published in order after this one: the messages a
   * transaction writes to one channel in a row share one row (a notification and the unread
   * count after it). Each keeps its own key, so a retry of the row repeats none.
   */
  more?: { event: string; data: unknown; key: string }[];
}
