import type { Command } from "./commands.js";

interface Entry {
  command: Command;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Commands written to the socket and waiting for their reply, keyed by command id. */
export class PendingReplies {
  readonly #entries = new Map<number, Entry>();
  #nextId = 1;

  get size(): number {
    return this.#entries.size;
  }

  /** Ids only need to be unique per connection; restarting at 1 keeps them small on the wire. */
  resetIds(): void {
    this.#nextId = 1;
  }

  add(command: Command, timeoutMs: number, onTimeout: (command: Command) => void): number {
    const id = this.#nextId++;
    const timer =
      timeoutMs > 0 && Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            this.#entries.delete(id);
            onTimeout(command);
          }, timeoutMs)
        : undefined;
    this.#entries.set(id, { command, timer });
    return id;
  }

  take(id: number): Command | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.#entries.delete(id);
    return entry.command;
  }

  /** Removes every entry, oldest first (Map keeps insertion order, which is id order). */
  drain(): Command[] {
    const commands: Command[] = [];
    for (const entry of this.#entries.values()) {
      clearTimeout(entry.timer);
      commands.push(entry.command);
    }
    this.#entries.clear();
    return commands;
  }
}
