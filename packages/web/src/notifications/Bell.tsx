import { useChannel } from "@switchboard/react";
import type { InboxPage, Notification, Unread } from "@switchboard/server/contracts/notifications";
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../app/api.js";
import { useResync } from "../app/live.js";
import { Link } from "../app/router.js";
import { isStaff, useSession } from "../app/session.js";
import { setTitleCount } from "../app/title.js";
import { toast } from "../components/Toasts.js";

/**
 * The notification center in the header: a bell with the unread count, the latest
 * notifications, mark all read. Live on the user's own channel: `notification` adds one (and
 * shows a toast), `unread` carries the count with a version, and the highest version wins, so a
 * read in another tab clears this tab's badge too.
 */
export function NotificationBell() {
  const session = useSession();
  const token = session?.token ?? null;
  const [items, setItems] = useState<Notification[]>([]);
  const [count, setCount] = useState(0);
  const [open, setOpen] = useState(false);
  const version = useRef(0);
  const staff = isStaff(session);

  const load = useCallback(async () => {
    const page = await api<InboxPage>(token, "GET", "/api/notifications?limit=20");
    setItems(page.items);
    setCount(page.unreadCount);
  }, [token]);

  const { subscription } = useChannel(session ? `user:${session.user}` : null, (m) => {
    if (m.event === "notification") {
      const n = m.data as Notification;
      setItems((prev) => [n, ...prev.filter((i) => i.id !== n.id)].slice(0, 20));
      const href = n.actions.find((a) => a.url)?.url;
      toast({ title: n.title, body: n.body, ...(href && { href }) });
    } else if (m.event === "unread") {
      const u = m.data as Unread;
      if (u.version >= version.current) {
        version.current = u.version;
        setCount(u.count);
      }
    }
  });
  useResync(subscription, load);
  // the staff desk owns the tab title's count for staff; a customer's is their unread count
  useEffect(() => {
    if (!staff) setTitleCount(count);
  }, [count, staff]);

  const read = async (n: Notification) => {
    if (!n.readAt) {
      const updated = await api<Notification>(token, "POST", `/api/notifications/${n.id}/read`);
      setItems((prev) => prev.map((i) => (i.id === n.id ? updated : i)));
    }
  };
  const readAll = async () => {
    await api(token, "POST", "/api/notifications/read-all");
    setItems((prev) => prev.map((i) => ({ ...i, readAt: i.readAt ?? new Date().toISOString() })));
  };

  return (
    <div className="bell">
      <button
        type="button"
        className="ghost bell-button"
        aria-expanded={open}
        aria-label={`Notifications, ${count} unread`}
        onClick={() => setOpen((o) => !o)}
      >
        <span aria-hidden="true">🔔</span>
        {count > 0 && (
          <span className="badge" data-testid="notification-count">
            {count}
          </span>
        )}
      </button>
      {open && (
        <section className="bell-panel" aria-label="Notifications">
          <header className="bell-head">
            <strong>Notifications</strong>
            <button
              type="button"
              className="ghost"
              onClick={() => void readAll()}
              disabled={count === 0}
            >
              Mark all read
            </button>
          </header>
          {items.length === 0 && <p className="muted">Nothing yet.</p>}
          <ul className="bell-list">
            {items.map((n) => (
              <li key={n.id} className={n.readAt ? "read" : "unread"} data-notification={n.id}>
                <button type="button" className="bell-item" onClick={() => void read(n)}>
                  <strong>{n.title}</strong>
                  <span>{n.body}</span>
                </button>
                {n.actions
                  .filter((a) => a.url)
                  .map((a) => (
                    <Link key={a.id} href={a.url ?? "/"} onClick={() => void read(n)}>
                      {a.label}
                    </Link>
                  ))}
              </li>
            ))}
          </ul>
          <Link href="/notifications/settings" onClick={() => setOpen(false)}>
            Notification settings
          </Link>
        </section>
      )}
    </div>
  );
}
