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
  /** Whether clients may publish over the socket at all (the policy still decides who). */
  clientPublish: boolean;
  /** Whether subscribe may recover missed publications from history. */
  recoverable: boolean;
}

export interface Namespace {
  name: string;
  options: NamespaceOptions;
  policy: ChannelPolicy;
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

/** The namespaces every Switchboard server has; modules refine order:* and conversation:*. */
export function builtInNamespaces(): Namespace[] {
  return [
    {
      name: "user",
      options: {
        history: { size: 100, ttlMs: 24 * HOUR },
        presence: false,
        joinLeave: false,
        clientPublish: false,
        recoverable: true,
      },
      // A user's private channel: only that user reads it; only the server writes it.
      policy: ({ identity, rest, action }) => readOnly.has(action) && identity.user === rest,
    },
    {
      name: "product",
      options: {
        history: { size: 100, ttlMs: 10 * MINUTE },
        presence: true,
        joinLeave: false,
        clientPublish: true,
        recoverable: true,
      },
      policy: ({ identity, action }) =>
        readOnly.has(action) || (action === "publish" && isStaff(identity)),
    },
    {
      name: "order",
      options: {
        history: { size: 100, ttlMs: 24 * HOUR },
        presence: false,
        joinLeave: false,
        clientPublish: false,
        recoverable: true,
      },
      policy: staffOnly,
    },
    {
      name: "conversation",
      options: {
        history: { size: 1000, ttlMs: 24 * HOUR },
        presence: true,
        joinLeave: true,
        clientPublish: true,
        recoverable: true,
      },
      policy: staffOnly,
    },
    {
      name: "staff",
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

  constructor(namespaces: Namespace[] = builtInNamespaces()) {
    for (const ns of namespaces) this.byName.set(ns.name, ns);
  }

  define(namespace: Namespace): void {
    this.byName.set(namespace.name, namespace);
  }

  /** Replace the policy of an existing namespace (how a module takes over order:* or conversation:*). */
  setPolicy(name: string, policy: ChannelPolicy): void {
    const ns = this.byName.get(name);
    if (!ns) throw new Error(`unknown namespace ${name}`);
    ns.policy = policy;
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
