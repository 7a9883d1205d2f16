/**
 * Lifecycles are data: states with a progress %, and transitions with the roles that may take
 * them. Adding a lifecycle is adding an object here, not code.
 */

/** `customer` is the order's own customer; `staff` is an agent, an admin or the API key. */
export type Actor = "customer" | "staff";

export interface LifecycleState {
  name: string;
  label: string;
  /** 0–100: how far along the order is in this state. */
  progress: number;
  /** No transition leaves a terminal state. */
  terminal?: boolean;
}

export interface LifecycleTransition {
  from: string[];
  to: string;
  by: Actor[];
  /** A name for the action (shown on buttons), e.g. "approve". */
  action?: string;
}

export interface Lifecycle {
  name: string;
  label: string;
  initial: string;
  states: LifecycleState[];
  transitions: LifecycleTransition[];
}

const STAFF: Actor[] = ["staff"];
const ANYONE: Actor[] = ["customer", "staff"];

/** Each state to the next, taken by staff. */
function chain(names: string[]): LifecycleTransition[] {
  return names.slice(1).map((to, i) => ({ from: [names[i] as string], to, by: STAFF }));
}

const REPAIR_MAIN = [
  "pending",
  "confirmed",
  "device-received",
  "diagnosis",
  "diagnosis-complete",
  "quote-pending",
  "quote-approved",
  "repair-queued",
  "repair-started",
  "repair-progress",
  "repair-complete",
  "testing",
  "ready-pickup",
  "completed",
];

export const repairBooking: Lifecycle = {
  name: "repair-booking",
  label: "Repair booking",
  initial: "pending",
  states: [
    { name: "pending", label: "Booking received", progress: 0 },
    { name: "confirmed", label: "Confirmed", progress: 7 },
    { name: "device-received", label: "Device received", progress: 14 },
    { name: "diagnosis", label: "Diagnosing", progress: 21 },
    { name: "diagnosis-complete", label: "Diagnosis complete", progress: 28 },
    { name: "quote-pending", label: "Quote awaiting your approval", progress: 35 },
    { name: "quote-approved", label: "Quote approved", progress: 42 },
    { name: "repair-queued", label: "Queued for repair", progress: 50 },
    { name: "repair-started", label: "Repair started", progress: 58 },
    { name: "repair-progress", label: "Repair in progress", progress: 70 },
    { name: "repair-complete", label: "Repair complete", progress: 80 },
    { name: "testing", label: "Testing", progress: 88 },
    { name: "ready-pickup", label: "Ready for pickup", progress: 95 },
    { name: "completed", label: "Completed", progress: 100, terminal: true },
    { name: "quote-declined", label: "Quote declined", progress: 40 },
    { name: "cancelled", label: "Cancelled", progress: 0, terminal: true },
  ],
  transitions: [
    ...chain(REPAIR_MAIN).filter((t) => t.to !== "quote-approved"),
    { from: ["quote-pending"], to: "quote-approved", by: ANYONE, action: "approve" },
    { from: ["quote-pending"], to: "quote-declined", by: ANYONE, action: "decline" },
    // a declined quote: the device goes back unrepaired
    { from: ["quote-declined"], to: "ready-pickup", by: STAFF },
    // progress notes while repairing, and back to the bench when a test fails
    { from: ["repair-progress"], to: "repair-progress", by: STAFF, action: "update" },
    { from: ["testing"], to: "repair-started", by: STAFF, action: "retest-failed" },
    { from: ["pending", "confirmed"], to: "cancelled", by: ANYONE, action: "cancel" },
    {
      from: [
        "device-received",
        "diagnosis",
        "diagnosis-complete",
        "quote-pending",
        "quote-declined",
      ],
      to: "cancelled",
      by: STAFF,
      action: "cancel",
    },
  ],
};

export const storeOrder: Lifecycle = {
  name: "store-order",
  label: "Online store order",
  initial: "pending",
  states: [
    { name: "pending", label: "Order placed", progress: 0 },
    { name: "paid", label: "Paid", progress: 20 },
    { name: "packed", label: "Packed", progress: 40 },
    { name: "shipped", label: "Shipped", progress: 60 },
    { name: "out-for-delivery", label: "Out for delivery", progress: 80 },
    { name: "delivered", label: "Delivered", progress: 100 },
    { name: "cancelled", label: "Cancelled", progress: 0 },
    { name: "refunded", label: "Refunded", progress: 0, terminal: true },
  ],
  transitions: [
    ...chain(["pending", "paid", "packed", "shipped", "out-for-delivery", "delivered"]),
    { from: ["pending", "paid"], to: "cancelled", by: ANYONE, action: "cancel" },
    { from: ["packed"], to: "cancelled", by: STAFF, action: "cancel" },
    {
      from: ["paid", "packed", "cancelled", "delivered"],
      to: "refunded",
      by: STAFF,
      action: "refund",
    },
  ],
};

export const testDrive: Lifecycle = {
  name: "test-drive",
  label: "Test drive appointment",
  initial: "requested",
  states: [
    { name: "requested", label: "Requested", progress: 0 },
    { name: "confirmed", label: "Confirmed", progress: 33 },
    { name: "checked-in", label: "Checked in", progress: 66 },
    { name: "completed", label: "Completed", progress: 100, terminal: true },
    { name: "no-show", label: "No-show", progress: 0, terminal: true },
    { name: "cancelled", label: "Cancelled", progress: 0, terminal: true },
  ],
  transitions: [
    ...chain(["requested", "confirmed", "checked-in", "completed"]),
    { from: ["confirmed"], to: "no-show", by: STAFF, action: "no-show" },
    { from: ["requested", "confirmed"], to: "cancelled", by: ANYONE, action: "cancel" },
  ],
};

export const LIFECYCLES: Record<string, Lifecycle> = {
  [repairBooking.name]: repairBooking,
  [storeOrder.name]: storeOrder,
  [testDrive.name]: testDrive,
};

export function stateOf(lifecycle: Lifecycle, name: string): LifecycleState | undefined {
  return lifecycle.states.find((s) => s.name === name);
}

/** Transitions out of `from` (all of them, or only those `actor` may take). */
export function transitionsFrom(
  lifecycle: Lifecycle,
  from: string,
  actor?: Actor,
): LifecycleTransition[] {
  return lifecycle.transitions.filter(
    (t) => t.from.includes(from) && (!actor || t.by.includes(actor)),
  );
}

/** Checks a lifecycle's own consistency (every name known, progress in range); used by tests and at start-up. */
export function validateLifecycle(lifecycle: Lifecycle): string[] {
  const names = new Set(lifecycle.states.map((s) => s.name));
  const problems: string[] = [];
  if (!names.has(lifecycle.initial))
    problems.push(`initial state ${lifecycle.initial} is not a state`);
  for (const s of lifecycle.states)
    if (s.progress < 0 || s.progress > 100) problems.push(`${s.name}: progress out of range`);
  for (const t of lifecycle.transitions) {
    for (const f of t.from) if (!names.has(f)) problems.push(`transition from unknown state ${f}`);
    if (!names.has(t.to)) problems.push(`transition to unknown state ${t.to}`);
    for (const f of t.from)
      if (lifecycle.states.find((s) => s.name === f)?.terminal)
        problems.push(`transition out of terminal ${f}`);
  }
  return problems;
}
