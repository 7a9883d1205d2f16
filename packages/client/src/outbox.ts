import type { Command } from "./commands.js";
import { localError, type SwitchboardError } from "./errors.js";

/**
 * Commands waiting to be written: issued while offline, waiting out the rate pacer, or handed
 * back after a lost connection. Control commands always go first so that, after a reconnect,
 * every channel is resubscribed before queued publishes are sent.
 */
export class Outbox {
  readonly #control: Command[] = [];
  readonly #user: Command[] = [];
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = Math.max(0, limit);
  }

  get size(): number {
    return this.#control.length + this.#user.length;
  }

  get userSize(): number {
    return this.#user.length;
  }

  push(command: Command, options: { urgent?: boolean } = {}): void {
    const lane = command.lane === "control" ? this.#control : this.#user;
    if (options.urgent) lane.unshift(command);
    else lane.push(command);
    this.#enforceLimit();
  }

  /** Puts commands that were in flight back at the front, oldest first, ahead of newer ones. */
  requeue(commands: readonly Command[]): void {
    const user = commands.filter((c) => c.lane === "user");
    this.#user.unshift(...user);
    this.#enforceLimit();
  }

  shift(): Command | undefined {
    return this.#control.shift() ?? this.#user.shift();
  }

  /** Drops the SDK's own pending commands (they are rebuilt on reconnect). */
  dropControl(error: SwitchboardError): void {
    for (const command of this.#control.splice(0)) command.reject(error);
  }

  rejectAll(error: SwitchboardError): void {
    this.dropControl(error);
    for (const command of this.#user.splice(0)) command.reject(error);
  }

  #enforceLimit(): void {
    // The oldest command is the one most likely to be stale by the time we are back online.
    while (this.#user.length > this.#limit) {
      this.#user.shift()?.reject(localError("queue_full", "queue full"));
    }
  }
}
