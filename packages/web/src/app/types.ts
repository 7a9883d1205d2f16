/** The REST shapes the web app reads (see docs/api.md and /docs). */

export interface LifecycleState {
  name: string;
  label: string;
  progress: number;
  terminal?: boolean;
}
export interface Lifecycle {
  name: string;
  label: string;
  initial: string;
  states: LifecycleState[];
  transitions: { from: string[]; to: string; by: ("customer" | "staff")[]; action?: string }[];
}
export interface HistoryEntry {
  from: string | null;
  to: string;
  at: string;
  by: string;
  note?: string;
  eta?: string;
  location?: string;
}
export interface Order {
  id: string;
  lifecycle: string;
  customerId: string;
  title?: string;
  details: Record<string, unknown>;
  status: string;
  statusLabel: string;
  progress: number;
  eta?: string;
  location?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  allowed: { to: string; action?: string }[];
  history?: HistoryEntry[];
}
export interface StatusChange {
  id: string;
  from: string | null;
  to: string;
  progress: number;
  eta?: string;
  note?: string;
  location?: string;
  at: string;
  by: string;
  version: number;
}

export interface ChatMessage {
  id: string;
  conversationId: string;
  seq: number;
  author: { id: string; role: "customer" | "agent" | "bot" | "system" };
  text: string;
  attachment?: { id: string; name: string; mime: string; size: number };
  meta: { sources?: { title: string; file: string }[]; confidence?: number; handover?: boolean };
  createdAt: string;
}
export interface Conversation {
  id: string;
  customerId: string;
  customerName?: string;
  subject?: string;
  priority: "low" | "normal" | "high" | "urgent";
  vip: boolean;
  status: "waiting" | "active" | "resolved" | "archived";
  agentId?: string;
  queuePosition?: number;
  lastSeq: number;
  receipts: { userId: string; deliveredSeq: number; readSeq: number }[];
  rating?: number;
  createdAt: string;
}
export interface Agent {
  userId: string;
  name?: string;
  status: "online" | "busy" | "offline";
  skills: string[];
  capacity: number;
  activeCount: number;
}
