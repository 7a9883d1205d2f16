import type { NotificationChannel, Preferences } from "@switchboard/server/contracts/notifications";
import { useEffect, useState } from "react";
import { api, errorText } from "../app/api.js";
import { useSession } from "../app/session.js";
import { enablePush, pushSupported } from "./push.js";

const CATEGORIES: [string, string][] = [
  ["orders", "Orders and repairs"],
  ["stock", "Back in stock"],
  ["chat", "Chat replies"],
  ["prices", "Price drops"],
  ["appointments", "Appointments"],
  ["general", "News and messages"],
];
const ESCALATE_TO: ["push" | "email" | "sms", string][] = [
  ["push", "Browser"],
  ["email", "Email"],
  ["sms", "SMS"],
];
const CHANNELS: [NotificationChannel, string][] = [
  ["in_app", "In the app"],
  ["push", "Browser"],
  ["email", "Email"],
  ["sms", "SMS"],
];

/**
 * Notification settings: channels per category, quiet hours, escalation of unread urgent ones,
 * browser notifications.
 */
export function NotificationSettings() {
  const session = useSession();
  const token = session?.token ?? null;
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const [status, setStatus] = useState("");

  useEffect(() => {
    void api<Preferences>(token, "GET", "/api/notifications/preferences").then(setPrefs);
  }, [token]);

  const save = async (change: Partial<Preferences>) => {
    try {
      setPrefs(await api<Preferences>(token, "PUT", "/api/notifications/preferences", change));
      setStatus("Saved");
    } catch (error) {
      setStatus(errorText(error));
    }
  };
  if (!prefs) return <p className="muted">Loading…</p>;
  const zone = prefs.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;

  return (
    <section className="card notification-settings">
      <h1>Notification settings</h1>
      <table>
        <thead>
          <tr>
            <th scope="col">Category</th>
            {CHANNELS.map(([c, label]) => (
              <th key={c} scope="col">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {CATEGORIES.map(([category, label]) => (
            <tr key={category}>
              <th scope="row">{label}</th>
              {CHANNELS.map(([channel, channelLabel]) => (
                <td key={channel}>
                  <input
                    type="checkbox"
                    aria-label={`${label}: ${channelLabel}`}
                    checked={prefs.channels[category]?.[channel] !== false}
                    onChange={(e) => {
                      const on = e.target.checked;
                      // shown at once; the server's answer then replaces it
                      setPrefs({
                        ...prefs,
                        channels: {
                          ...prefs.channels,
                          [category]: { ...prefs.channels[category], [channel]: on },
                        },
                      });
                      void save({ channels: { [category]: { [channel]: on } } });
                    }}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const start = String(f.get("start") ?? "");
          const end = String(f.get("end") ?? "");
          void save({
            quietHours: start && end ? { start, end } : null,
            timeZone: String(f.get("zone") || zone),
          });
        }}
      >
        <h2>Quiet hours</h2>
        <p className="muted">
          Browser, email and SMS notifications wait until they end; urgent ones do not.
        </p>
        <label>
          From <input name="start" type="time" defaultValue={prefs.quietHours?.start ?? ""} />
        </label>
        <label>
          Until <input name="end" type="time" defaultValue={prefs.quietHours?.end ?? ""} />
        </label>
        <label>
          Time zone <input name="zone" defaultValue={zone} />
        </label>
        <button type="submit">Save quiet hours</button>
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          void save({
            escalation:
              f.get("own") === "on"
                ? {
                    afterMinutes: Number(f.get("after")),
                    channels: ESCALATE_TO.map(([c]) => c).filter((c) => f.get(`to-${c}`) === "on"),
                  }
                : null,
          });
        }}
      >
        <h2>Urgent notifications I have not read</h2>
        <p className="muted">
          Sent on to the next way of reaching you, one after another, until you read them.
        </p>
        <label>
          <input name="own" type="checkbox" defaultChecked={prefs.escalation !== null} /> Use my own
          settings (otherwise the shop's)
        </label>
        <label>
          After (minutes){" "}
          <input
            name="after"
            type="number"
            min={1}
            max={10080}
            defaultValue={prefs.escalation?.afterMinutes ?? 15}
          />
        </label>
        {ESCALATE_TO.map(([c, label]) => (
          <label key={c}>
            <input
              name={`to-${c}`}
              type="checkbox"
              defaultChecked={prefs.escalation ? prefs.escalation.channels.includes(c) : true}
            />{" "}
            Then {label}
          </label>
        ))}
        <button type="submit">Save escalation</button>
      </form>
      <h2>Browser notifications</h2>
      {pushSupported() ? (
        <button
          type="button"
          onClick={() =>
            void enablePush(token ?? "")
              .then((r) =>
                setStatus(
                  r === "on"
                    ? "Browser notifications are on"
                    : r === "denied"
                      ? "The browser blocked notifications"
                      : "Not supported here",
                ),
              )
              .catch((error: unknown) => setStatus(errorText(error)))
          }
        >
          Turn on browser notifications
        </button>
      ) : (
        <p className="muted">This browser cannot show notifications.</p>
      )}
      <p role="status">{status}</p>
    </section>
  );
}
