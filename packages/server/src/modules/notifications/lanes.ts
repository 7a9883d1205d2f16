/**
 * Group commit in lanes: requests arriving together share one batch (one transaction), and up
 * to `lanes` batches run at once. SQLite has one connection and one writer, so one lane there;
 * PostgreSQL commits concurrent transactions in parallel, and a batch spends most of its time
 * waiting on round trips, so a second batch fills that wait instead of queueing behind it.
 * A batch starts on `setImmediate`, after the poll phase turned every arrived request into a
 * submission (see store/group-commit.ts for why not at once).
 */
export class GroupLanes<In, Out> {
  private queue: { input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }[] = [];
  private running = 0;
  private pumping = false;

  constructor(
    /** Runs one batch; one result per input, in order. Throwing fails the whole batch. */
    private readonly runBatch: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch: number,
    private readonly lanes: number,
  ) {}

  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.pumping || this.running >= this.lanes) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      while (this.running < this.lanes && this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        this.running++;
        void this.runOne(batch);
      }
    });
  }

  private async runOne(batch: typeof this.queue): Promise<void> {
    try {
      const results = await this.runBatch(batch.map((b) => b.input));
      for (const [i, b] of batch.entries()) b.resolve(results[i] as Out);
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.running--;
      if (this.queue.length > 0) this.pump();
    }
  }
}
