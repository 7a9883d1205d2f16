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
