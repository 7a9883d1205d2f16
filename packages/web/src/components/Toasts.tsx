import { useSyncExternalStore } from "react";
import { Link } from "../app/router.js";

export interface Toast {
  id: number;
  title: string;
  body?: string;
  /** Where "Open" leads. */
  href?: string;
  /** Runs when "Open" is followed (e.g. to select what the toast is about). */
  onOpen?: () => void;
}

const listeners = new Set<() => void>();
let toasts: Toast[] = [];
let next = 1;

function emit(): void {
  for (const l of listeners) l();
}

/** Shows a short notice at the corner of the screen for `ms` (it can be dismissed earlier). */
export function toast(t: Omit<Toast, "id">, ms = 8000): void {
  const id = next++;
  // at most three at once: a burst of assignments must not cover the page
  toasts = [...toasts, { ...t, id }].slice(-3);
  emit();
  setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

function useToasts(): Toast[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => toasts,
  );
}

/** The toasts, announced politely to screen readers. */
export function Toasts() {
  const shown = useToasts();
  return (
    <div className="toasts" role="status" aria-live="polite" data-testid="toasts">
      {shown.map((t) => (
        <div className="toast" key={t.id}>
          <div className="toast-text">
            <strong>{t.title}</strong>
            {t.body && <span className="small">{t.body}</span>}
          </div>
          {t.href && (
            <Link
              href={t.href}
              className="toast-open"
              onClick={() => {
                t.onOpen?.();
                dismiss(t.id);
              }}
            >
              Open
            </Link>
          )}
          <button
            type="button"
            className="ghost icon"
            aria-label={`Dismiss: ${t.title}`}
            onClick={() => dismiss(t.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
