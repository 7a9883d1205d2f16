import type { Member, PresenceMember } from "@switchboard/protocol";

export interface PresenceState {
  members: readonly PresenceMember[];
  count: number;
}

/**
 * A live member list: one `presence` snapshot, then the server's join/leave frames. The server
 * sends `join` for a user's first connection and `leave` for their last, so the list is keyed by
 * user. Large channels may list only some members (`count` is always the full number); then the
 * count is tracked from join/leave rather than taken from the list.
 */
export class PresenceMap {
  readonly #members = new Map<string, PresenceMember>();
  #count = 0;
  #partial = false;
  #state: PresenceState = { members: [], count: 0 };

  get state(): PresenceState {
    return this.#state;
  }

  reset(members: readonly PresenceMember[], count: number): void {
    this.#members.clear();
    for (const member of members) this.#members.set(member.user, member);
    this.#partial = count > this.#members.size;
    this.#count = count;
    this.#update();
  }

  /** Returns whether anything changed. Applying a join the snapshot already had is harmless. */
  join(member: Member): boolean {
    if (this.#members.has(member.user)) return false;
    this.#members.set(member.user, { ...member, connections: 1 });
    this.#count++;
    this.#update();
    return true;
  }

  leave(member: Member): boolean {
    const listed = this.#members.delete(member.user);
    if (!listed && !this.#partial) return false;
    this.#count = Math.max(0, this.#count - 1);
    this.#update();
    return true;
  }

  clear(): void {
    this.reset([], 0);
  }

  #update(): void {
    const count = this.#partial ? Math.max(this.#count, this.#members.size) : this.#members.size;
    this.#state = { members: [...this.#members.values()], count };
  }
}

/**
 * A channel's live member list, when the application asked for one: a fresh snapshot after
 * every (re)subscribe, then join/leave. Snapshots that arrive after the subscription moved on
 * (reconnect, release) are dropped.
 */
export class PresenceTracker {
  readonly #map = new PresenceMap();
  readonly #fetch: () => Promise<PresenceState>;
  readonly #onChange: () => void;
  readonly #onError: (error: Error) => void;
  #enabled: boolean;
  #generation = 0;
  /** Joins and leaves that arrived while the current snapshot was on its way. */
  #inFlight: { kind: "join" | "leave"; member: Member }[] | undefined;

  constructor(
    enabled: boolean,
    fetch: () => Promise<PresenceState>,
    onChange: () => void,
    onError: (error: Error) => void,
  ) {
    this.#enabled = enabled;
    this.#fetch = fetch;
    this.#onChange = onChange;
    this.#onError = onError;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  get state(): PresenceState {
    return this.#map.state;
  }

  /** Returns true when tracking was off until now. */
  enable(): boolean {
    if (this.#enabled) return false;
    this.#enabled = true;
    return true;
  }

  async load(): Promise<void> {
    if (!this.#enabled) return;
    const generation = ++this.#generation;
    const inFlight: { kind: "join" | "leave"; member: Member }[] = [];
    this.#inFlight = inFlight;
    try {
      const state = await this.#fetch();
      if (generation !== this.#generation) return;
      this.#inFlight = undefined;
      this.#map.reset(state.members, state.count);
      // The snapshot may have been taken before or after each of these (a Redis reply and a
      // pub/sub message race; so do two commands in one turn): applied again in order, they
      // leave every user as their last event says. A join the snapshot had is a no-op.
      for (const e of inFlight) this.#applyToMap(e.kind, e.member);
      this.#onChange();
    } catch (error) {
      if (generation === this.#generation) {
        this.#inFlight = undefined;
        this.#onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  invalidate(): void {
    this.#generation++;
    this.#inFlight = undefined;
  }

  apply(kind: "join" | "leave", member: Member): void {
    if (!this.#enabled) return;
    this.#inFlight?.push({ kind, member });
    if (this.#applyToMap(kind, member)) this.#onChange();
  }

  #applyToMap(kind: "join" | "leave", member: Member): boolean {
    return kind === "join" ? this.#map.join(member) : this.#map.leave(member);
  }
}
