import { type Capability, capsGrant, parseChannel } from "@switchboard/protocol";
import { type Identity, isStaff } from "../auth/identity.js";
import type { HistoryOptions } from "../broker/types.js";
import { SwitchboardError } from "../errors.js";

export type ChannelAction = "subscribe" | "publish" | "signal" | "presence" | "history";

export interface PolicyContext {
  identity: Identity;
  channel: string;
  /** The part after `namespace:` (the order id of `order:42`). */
  rest: string;
  action: ChannelAction;
}

/** Decides whether a user may take an action on a channel. Modules replace a namespace's policy. */
export type ChannelPolicy = (ctx: PolicyContext) => boolean | Promise<boolean>;

export interface NamespaceOptions {
  history: HistoryOptions;
  /** Track who is subscribed (viewer counts, who is on duty). */
  presence: boolean;
  /** Send `join`/`leave` frames to subscribers (off where a count is all anyone needs). */
  joinLeave: boolean;
  /**
   * Who sees the member list in a `presence` reply (the count is for everyone): `everyone`
   * (default) or `staff` (a storefront's viewers are nobody else's business).
   */
  presenceMembers?: "everyone" | "staff";
  /** Whether clients may publish over the socket at all (the policy still decides who). */
  clientPublish: boolean;
  /** Whether subscribe may recover missed publications from history. */
  recoverable: boolean;
  /**
   * The events clients may send as signals (ephemeral: typing…); the policy still decides who.
   * Absent: any event (the core namespaces); empty: none.
   */
  signals?: readonly string[];
}

export interface Namespace {
  name: string;
  options: NamespaceOptions;
  policy: ChannelPolicy;
  /** "core", or the module that declared it. */
  owner: string;
}

/**
 * What a module declares about a namespace it owns. The policy may come here, or from the
 * module's register() through `ctx.namespaces.setPolicy` when it needs the module's services;
 * until it has one, everything but the server is refused.
 */
export interface NamespaceDeclaration extends Omit<NamespaceOptions, "signals"> {
  /** The part before the colon: `order` for `order:{id}`. */
  name: string;
  /** Say which signal events clients may send, or `[]` for none. */
  signals: readonly string[];
  policy?: ChannelPolicy;
}

const CAP_FOR: Record<ChannelAction, Capability[]> = {
  subscribe: ["subscribe"],
  publish: ["publish"],
  signal: ["publish"],
  presence: ["presence", "subscribe"],
  history: ["history", "subscribe"],
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const staffOnly: ChannelPolicy = ({ identity }) => isStaff(identity);
const readOnly = new Set<ChannelAction>(["subscribe", "presence", "history"]);
const denyAll: ChannelPolicy = () => false;

/** The namespaces every Switchboard server has, whatever modules it runs. */
export function coreNamespaces(): Namespace[] {
  return [
    {
      name: "user",
      owner: "core",
      options: {
        history: { size: 100, ttlMs: 24 * HOUR },
        presence: false,
        joinLeave: false,
        clientPublish: false,
        recoverable: true,
        signals: [],
      },
      // A user's private channel: only that user reads it; only the server writes it.
      policy: ({ identity, rest, action }) => readOnly.has(action) && identity.user === rest,
    },
    {
      // Staff rooms shared by the modules (staff:orders, staff:inventory, staff:chat…).
      name: "staff",
      owner: "core",
      options: {
        history: { size: 200, ttlMs: HOUR },
        presence: true,
        joinLeave: true,
        clientPublish: true,
        recoverable: true,
      },
      policy: staffOnly,
    },
    {
      name: "dashboard",
      owner: "core",
      options: {
        history: { size: 100, ttlMs: 10 * MINUTE },
        presence: false,
        joinLeave: false,
        clientPublish: true,
        recoverable: true,
      },
      policy: ({ identity }) => identity.role === "admin",
    },
  ];
}

export interface Authorized {
  namespace: Namespace;
  rest: string;
}

export class Namespaces {
  private readonly byName = new Map<string, Namespace>();
  /** Declared without a policy, and not given one yet. */
  private readonly awaitingPolicy = new Set<string>();

  constructor(namespaces: Namespace[] = coreNamespaces()) {
    for (const ns of namespaces) this.byName.set(ns.name, ns);
  }

  /** Adds a module's namespace; two owners of one name is a start-up error. */
  define(declaration: NamespaceDeclaration, owner: string): void {
    const { name, policy, signals, ...options } = declaration;
    if (!/^[A-Za-z0-9_\-=@.]{1,64}$/.test(name))
      throw new Error(`module ${owner}: namespace name "${name}" is not valid in a channel name`);
    const existing = this.byName.get(name);
    if (existing)
      throw new Error(
        `module ${owner}: namespace ${name} is already declared by ${existing.owner === "core" ? "the core" : `module ${existing.owner}`}`,
      );
    this.byName.set(name, {
      name,
      owner,
      options: { ...options, signals: [...signals] },
      policy: policy ?? denyAll,
    });
    if (!policy) this.awaitingPolicy.add(name);
  }

  /** Sets the policy of a namespace its module declared (one that needs the module's services). */
  setPolicy(name: string, policy: ChannelPolicy): void {
    const ns = this.byName.get(name);
    if (!ns)
      throw new Error(
        `namespace ${name} is not declared: list it in your module's namespaces first`,
      );
    ns.policy = policy;
    this.awaitingPolicy.delete(name);
  }

  /** Namespaces declared without a policy that nobody has given one (checked after start-up). */
  withoutPolicy(): string[] {
    return [...this.awaitingPolicy];
  }

  get(name: string): Namespace | undefined {
    return this.byName.get(name);
  }

  list(): Namespace[] {
    return [...this.byName.values()];
  }

  /** Resolves a channel's namespace, or throws. Does not check permissions. */
  resolve(channel: string): Authorized {
    const parsed = parseChannel(channel);
    if (!parsed)
      throw new SwitchboardError("bad_request", `invalid channel name "${channel.slice(0, 64)}"`);
    const namespace = this.byName.get(parsed.namespace);
    if (!namespace)
      throw new SwitchboardError("forbidden", `unknown namespace "${parsed.namespace}"`);
    return { namespace, rest: parsed.rest };
  }

  /** Resolves and checks the policy (and the token's caps), or throws `forbidden`. */
  async authorize(identity: Identity, channel: string, action: ChannelAction): Promise<Authorized> {
    const resolved = this.resolve(channel);
    if (identity.server) return resolved;
    const granted = CAP_FOR[action].some((cap) => capsGrant(identity.caps, channel, cap));
    if (!granted) {
      let allowed = false;
      try {
        allowed = await resolved.namespace.policy({
          identity,
          channel,
          rest: resolved.rest,
          action,
        });
      } catch {
        allowed = false; // a failing policy must never open a channel
      }
      if (!allowed)
        throw new SwitchboardError("forbidden", `not allowed to ${action} on ${channel}`);
    }
    return resolved;
  }
}
