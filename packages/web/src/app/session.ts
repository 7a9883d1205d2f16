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
// stay who they are. The last sign-in is also kept in localStorage, for a tab that has none
// yet: opening a link in a new tab keeps you signed in. Signing out ends both.
const KEY = "switchboard.session";
const listeners = new Set<() => void>();
let current: Session | null = read();

function valid(text: string | null): Session | null {
  try {
    const s = JSON.parse(text ?? "null") as Session | null;
    return s && typeof s.token === "string" && Date.parse(s.expiresAt) > Date.now() + 60_000
      ? s
      : null;
  } catch {
    return null;
  }
}

function read(): Session | null {
  const own = valid(sessionStorage.getItem(KEY));
  if (own) return own;
  const last = valid(localStorage.getItem(KEY));
  if (last) sessionStorage.setItem(KEY, JSON.stringify(last));
  return last;
}

export function setSession(session: Session | null): void {
  current = session;
  if (session) {
    const text = JSON.stringify(session);
    sessionStorage.setItem(KEY, text);
    localStorage.setItem(KEY, text);
  } else {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
  }
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
