import type { Lifecycle, Order } from "@switchboard/server/contracts/orders";

/** Actions that leave the main path: what they lead to is a branch, drawn as one. */
const BRANCH_ACTIONS = new Set(["cancel", "decline", "refund", "no-show"]);

export interface TrackerStep {
  name: string;
  label: string;
  /** done: passed; current: where it is now; next: still ahead; ended: where it stopped. */
  kind: "done" | "current" | "next" | "ended";
  /** Off the main path (cancelled, quote declined, refunded…). */
  branch: boolean;
  /** When the order got there (steps taken). */
  at?: string;
}

/** The states reached by a branch action (cancel, decline, refund, no-show). */
export function branchStates(lifecycle: Lifecycle): Set<string> {
  return new Set(
    lifecycle.transitions.filter((t) => BRANCH_ACTIONS.has(t.action ?? "")).map((t) => t.to),
  );
}

/**
 * The main path ahead of a state: each time the forward step (no branch, no loop back) to the
 * nearest state further along, until a terminal state or none is left.
 */
export function pathAhead(lifecycle: Lifecycle, from: string): string[] {
  const branches = branchStates(lifecycle);
  const progressOf = (name: string) => lifecycle.states.find((s) => s.name === name)?.progress ?? 0;
  const ahead: string[] = [];
  const seen = new Set([from]);
  let at = from;
  for (let i = 0; i < lifecycle.states.length; i++) {
    if (lifecycle.states.find((s) => s.name === at)?.terminal) break;
    const here = progressOf(at);
    const next = lifecycle.transitions
      .filter(
        (t) =>
          t.from.includes(at) &&
          !seen.has(t.to) &&
          !branches.has(t.to) &&
          !BRANCH_ACTIONS.has(t.action ?? "") &&
          progressOf(t.to) > here,
      )
      .map((t) => t.to)
      .sort((a, b) => progressOf(a) - progressOf(b))[0];
    if (!next) break;
    ahead.push(next);
    seen.add(next);
    at = next;
  }
  return ahead;
}

/**
 * An order's timeline: the steps it took (from its history, repeats of one state folded into
 * one), then the steps still ahead on the main path. A branch (cancelled, quote declined)
 * appears where it happened, never as a step to come; an order that reached the end of its
 * path shows it finished, not as a step in progress.
 */
export function trackerSteps(
  lifecycle: Lifecycle,
  order: Pick<Order, "status" | "history">,
): TrackerStep[] {
  const branches = branchStates(lifecycle);
  const labelOf = (name: string) => lifecycle.states.find((s) => s.name === name)?.label ?? name;
  const taken: { name: string; at?: string }[] = [];
  const history = order.history ?? [];
  if (history[0]?.from) taken.push({ name: history[0].from });
  for (const h of history) {
    if (taken.at(-1)?.name !== h.to) taken.push({ name: h.to, at: h.at });
  }
  if (taken.length === 0) taken.push({ name: order.status });
  if (taken.at(-1)?.name !== order.status) taken.push({ name: order.status });

  const ahead = pathAhead(lifecycle, order.status);
  const state = lifecycle.states.find((s) => s.name === order.status);
  const finished = ahead.length === 0;
  const steps: TrackerStep[] = taken.map((t, i) => {
    const last = i === taken.length - 1;
    const kind: TrackerStep["kind"] = !last
      ? "done"
      : !finished
        ? "current"
        : state?.progress === 100 && !branches.has(t.name)
          ? "done"
          : "ended";
    return {
      name: t.name,
      label: labelOf(t.name),
      kind,
      branch: branches.has(t.name),
      ...(t.at !== undefined && { at: t.at }),
    };
  });
  for (const name of ahead) steps.push({ name, label: labelOf(name), kind: "next", branch: false });
  return steps;
}
