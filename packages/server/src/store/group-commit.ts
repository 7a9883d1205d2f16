/**
 * Group commit: work submitted in the same turn of the event loop, or while a batch is running,
 * runs together as one batch, in one transaction. A batch starts on `setImmediate`, right after
 * the poll phase has turned every request that arrived into a submission: no timer, one loop
 * turn of delay, and batches grow by themselves under load. (With SQLite the driver is
 * synchronous, so a batch started at once would finish before the next request is even parsed:
 * nothing would ever be grouped.)
 *
 * Why: SQLite has one writer, so concurrent transactions run one after another anyway; sharing
 * one transaction saves a BEGIN/COMMIT, a WAL write and the outbox round trip per request, which
 * dominated the cost of a reservation. On PostgreSQL it saves round trips and row-lock hand-offs.
 */
export class GroupCommit<In, Out> {
  private queue: { input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];
  private running = false;

  constructor(
    /** Runs one batch; returns one result per input, in order. Throwing fails the whole batch. */
    private readonly runBatch: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 200,
  ) {}

  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.running) return;
      this.running = true;
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.runBatch(batch.map((b) => b.input));
          for (const [i, b] of batch.entries()) b.resolve(results[i] as Out);
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
