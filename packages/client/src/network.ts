export interface NetworkHandlers {
  /** The browser believes the network is back. */
  online(): void;
  /** The browser lost the network. */
  offline(): void;
  /**
   * The page is back: visible again (tab switched back, laptop woke), resumed after the browser
   * froze it, or restored from the back/forward cache. Its timers may not have run for a while.
   */
  back(why: string): void;
}

interface EventTargetLike {
  addEventListener(type: string, listener: (event?: { persisted?: boolean }) => void): void;
  removeEventListener(type: string, listener: (event?: { persisted?: boolean }) => void): void;
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
    if (doc?.visibilityState === "visible") handlers.back("page visible");
  };
  // A frozen page (a background tab the browser froze, or a sleeping machine's) runs nothing,
  // not even its timers: `resume` is the first thing it sees afterwards.
  const resumed = () => handlers.back("page resumed");
  const shown = (event?: { persisted?: boolean }) => {
    if (event?.persisted) handlers.back("page restored from the back/forward cache");
  };
  win?.addEventListener("online", online);
  win?.addEventListener("offline", offline);
  win?.addEventListener("pageshow", shown);
  doc?.addEventListener("visibilitychange", visibility);
  doc?.addEventListener("resume", resumed);
  return () => {
    win?.removeEventListener("online", online);
    win?.removeEventListener("offline", offline);
    win?.removeEventListener("pageshow", shown);
    doc?.removeEventListener("visibilitychange", visibility);
    doc?.removeEventListener("resume", resumed);
  };
}
