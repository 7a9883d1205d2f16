import { useSyncExternalStore } from "react";

export type Role = "customer" | "agent" | "admin";

export interface Session {
  user: string;
  name: string;
  role: Role;
  token: string;
  expiresAt: string;
}

// Per tab (sessionStorage, kept across reloads): a customer tab and an agent tab side by side
// stay who they are; localStorage would make every tab the last one signed in after a reload.
const KEY = "switchboard.session";
const listeners = new Set<() => void>();
let current: Session | null = read();

function read(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as Session | null;
    return s && Date.parse(s.expiresAt) > Date.now() + 60_000 ? s : null;
  } catch {
    return null;
  }
}

export function setSession(session: Session | null): void {
  current = session;
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
  for (const l of listeners) l();
}

export function useSession(): Session | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}

export const isStaff = (s: Session | null) => s?.role === "agent" || s?.role === "admin";
