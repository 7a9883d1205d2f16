export interface NetworkHandlers {
  /** The browser believes the network is back. */
  online(): void;
  /** The browser lost the network. */
  offline(): void;
  /** The page became visible again (tab switched back, laptop woke). */
  visible(): void;
}

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

function browserWindow(): EventTargetLike | undefined {
  const w = (globalThis as { window?: Partial<EventTargetLike> }).window;
  return typeof w?.addEventListener === "function" ? (w as EventTargetLike) : undefined;
}

function browserDocument(): (EventTargetLike & { visibilityState?: string }) | undefined {
  const d = (globalThis as { document?: Partial<EventTargetLike> & { visibilityState?: string } })
    .document;
  return typeof d?.addEventListener === "function"
    ? (d as EventTargetLike & { visibilityState?: string })
    : undefined;
}

/** False only when the browser is sure it is offline (`navigator.onLine` has no false negatives). */
export function browserSaysOffline(): boolean {
  if (!browserWindow()) return false;
  const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  return nav?.onLine === false;
}

/** Listens to the browser's network and visibility events; a no-op in Node. Returns a cleanup. */
export function watchNetwork(handlers: NetworkHandlers): () => void {
  const win = browserWindow();
  const doc = browserDocument();
  const online = () => handlers.online();
  const offline = () => handlers.offline();
  const visibility = () => {
    if (doc?.visibilityState === "visible") handlers.visible();
  };
  win?.addEventListener("online", online);
  win?.addEventListener("offline", offline);
  doc?.addEventListener("visibilitychange", visibility);
  return () => {
    win?.removeEventListener("online", online);
    win?.removeEventListener("offline", offline);
    doc?.removeEventListener("visibilitychange", visibility);
  };
}
