import { type FormEvent, useCallback, useEffect, useState } from "react";
import { ApiError, api, errorText } from "../app/api.js";
import { useSession } from "../app/session.js";
import { ConfirmButton } from "../components/Confirm.js";
import "./pusher.css";

/** A Pusher app as GET /api/pusher/apps answers (see the server's app-routes.ts). */
export interface PusherAppView {
  id: string;
  key: string;
  secret: string;
  name: string;
  source: "env" | "api";
  enabled: boolean;
  clientEvents: boolean;
  subscriptionCount: boolean;
  webhookUrls: string[];
  maxConnections: number | null;
  authEndpoint: string | null;
  jwtAuth: boolean;
  /** In force: the app's own list, or the server's default when it has none. */
  webhookEvents: WebhookEventName[];
  /** In force: the app's own rate, or the server's default when it has none. */
  clientEventsPerSecond: number;
  version: number;
  connections: number;
  channels: number;
}

/** The webhook events a Pusher app can get (the server's WEBHOOK_EVENTS). */
const WEBHOOK_EVENTS = [
  "channel_occupied",
  "channel_vacated",
  "member_added",
  "member_removed",
  "client_event",
  "cache_miss",
] as const;
type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** Live counts are re-read this often while the screen is open. */
const REFRESH_MS = 5000;

/** What a developer pastes into their app to point pusher-js at this server. */
function snippet(app: PusherAppView): string {
  const secure = location.protocol === "https:";
  const port = location.port || (secure ? "443" : "80");
  const auth = app.jwtAuth
    ? [
        `  // signed by Switchboard for the holder of a Switchboard token`,
        `  channelAuthorization: { endpoint: "${location.origin}/api/pusher/apps/${app.id}/auth",`,
        `    transport: "ajax", headers: { Authorization: "Bearer " + switchboardToken } },`,
        `  userAuthentication: { endpoint: "${location.origin}/api/pusher/apps/${app.id}/user-auth",`,
        `    transport: "ajax", headers: { Authorization: "Bearer " + switchboardToken } },`,
      ]
    : [
        `  channelAuthorization: { endpoint: "${app.authEndpoint ?? "/broadcasting/auth"}", transport: "ajax" },`,
      ];
  return [
    `const pusher = new Pusher("${app.key}", {`,
    `  cluster: "mt1", wsHost: "${location.hostname}", wsPort: ${port}, wssPort: ${port},`,
    `  forceTLS: ${secure}, enabledTransports: ["ws", "wss"],`,
    ...auth,
    "});",
  ].join("\n");
}

const urlsOf = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** One app: its credentials, live counts, options (saved at the version on screen), rotate, remove. */
function AppCard({ app, onChanged }: { app: PusherAppView; onChanged: () => Promise<void> }) {
  const token = useSession()?.token ?? null;
  const [showSecret, setShowSecret] = useState(false);
  const [draft, setDraft] = useState(() => draftOf(app));
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  // a change saved elsewhere (another admin, another tab) replaces the form's values
  useEffect(() => setDraft(draftOf(app)), [app.version]);
  const path = `/api/pusher/apps/${encodeURIComponent(app.id)}`;
  const run = async (method: string, suffix: string, body?: unknown) => {
    try {
      await api(token, method, `${path}${suffix}`, body);
      setError(undefined);
      await onChanged();
      return true;
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === "conflict"
          ? "Someone changed this app first: the form now shows their values. Save again to apply yours."
          : errorText(e),
      );
      await onChanged();
      return false;
    }
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const max = draft.maxConnections.trim();
    if (max && !/^[1-9]\d{0,7}$/.test(max)) {
      setError("Max connections is a whole number from 1, or empty for no limit.");
      return;
    }
    const rate = draft.clientEventsPerSecond.trim();
    if (rate && !(/^[1-9]\d{0,3}$/.test(rate) && Number(rate) <= 1000)) {
      setError(
        "Max client events per second is a whole number from 1 to 1000, or empty for the server default.",
      );
      return;
    }
    if (draft.webhookEvents.length === 0) {
      setError("Pick at least one webhook event (or leave the webhook URLs empty to send none).");
      return;
    }
    // Sent only when changed: the screen shows what is in force, and saving other options must
    // not turn the server's default into the app's own value.
    const initial = draftOf(app);
    const eventsChanged =
      [...draft.webhookEvents].sort().join() !== [...initial.webhookEvents].sort().join();
    const rateChanged = rate !== initial.clientEventsPerSecond;
    const ok = await run("PATCH", "", {
      name: draft.name.trim() || app.name,
      clientEvents: draft.clientEvents,
      subscriptionCount: draft.subscriptionCount,
      webhookUrls: urlsOf(draft.webhookUrls),
      maxConnections: max ? Number(max) : null,
      authEndpoint: draft.authEndpoint.trim() || null,
      jwtAuth: draft.jwtAuth,
      ...(eventsChanged && {
        webhookEvents: WEBHOOK_EVENTS.filter((n) => draft.webhookEvents.includes(n)),
      }),
      ...(rateChanged && { clientEventsPerSecond: rate ? Number(rate) : null }),
      expectedVersion: app.version,
    });
    setSaved(ok);
  };
  const id = (field: string) => `pusher-${app.id}-${field}`;
  return (
    <article className="card pusher-app" data-app={app.id} aria-label={`App ${app.name}`}>
      <header className="row spread">
        <div>
          <h2>{app.name}</h2>
          <p className="muted small">
            App id <code>{app.id}</code>{" "}
            {app.source === "env" && <span className="pill">from SWITCHBOARD_PUSHER_APPS</span>}{" "}
            <span className={`pill ${app.enabled ? "pill-ok" : "pill-off"}`}>
              {app.enabled ? "Enabled" : "Disabled"}
            </span>
          </p>
        </div>
        <p className="pusher-counts" aria-live="polite">
          <strong data-testid="connections">{app.connections}</strong> connections ·{" "}
          <strong data-testid="channels">{app.channels}</strong> channels
        </p>
      </header>
      <dl className="pusher-creds">
        <dt>Key</dt>
        <dd>
          <code data-testid="app-key">{app.key}</code>
        </dd>
        <dt>Secret</dt>
        <dd>
          <code data-testid="app-secret">{showSecret ? app.secret : "•".repeat(16)}</code>{" "}
          <button type="button" className="link" onClick={() => setShowSecret((s) => !s)}>
            {showSecret ? "Hide" : "Show"} secret
          </button>
        </dd>
      </dl>
      <form className="stack" onSubmit={(e) => void save(e)}>
        <label htmlFor={id("name")}>Name</label>
        <input
          id={id("name")}
          value={draft.name}
          maxLength={100}
          onChange={(e) => setDraft({ ...draft, name: e.target.value })}
        />
        <label className="inline">
          <input
            type="checkbox"
            checked={draft.clientEvents}
            onChange={(e) => setDraft({ ...draft, clientEvents: e.target.checked })}
          />
          Client events (whispers) on private and presence channels
        </label>
        <label className="inline">
          <input
            type="checkbox"
            checked={draft.subscriptionCount}
            onChange={(e) => setDraft({ ...draft, subscriptionCount: e.target.checked })}
          />
          Send subscription counts to subscribers
        </label>
        <label className="inline">
          <input
            type="checkbox"
            checked={draft.jwtAuth}
            onChange={(e) => setDraft({ ...draft, jwtAuth: e.target.checked })}
          />
          Sign channels for Switchboard users (their token instead of your auth endpoint)
        </label>
        <label htmlFor={id("webhooks")}>Webhook URLs (one per line; empty: none)</label>
        <textarea
          id={id("webhooks")}
          rows={2}
          value={draft.webhookUrls}
          onChange={(e) => setDraft({ ...draft, webhookUrls: e.target.value })}
        />
        <fieldset className="pusher-webhook-events">
          <legend>Webhook events sent</legend>
          {WEBHOOK_EVENTS.map((n) => (
            <label key={n} className="inline">
              <input
                type="checkbox"
                checked={draft.webhookEvents.includes(n)}
                onChange={(e) =>
                  setDraft({
                    ...draft,
                    webhookEvents: e.target.checked
                      ? [...draft.webhookEvents, n]
                      : draft.webhookEvents.filter((x) => x !== n),
                  })
                }
              />
              <code>{n}</code>
            </label>
          ))}
        </fieldset>
        <label htmlFor={id("rate")}>
          Max client events per second per connection (empty: server default)
        </label>
        <input
          id={id("rate")}
          inputMode="numeric"
          value={draft.clientEventsPerSecond}
          onChange={(e) => setDraft({ ...draft, clientEventsPerSecond: e.target.value })}
        />
        <label htmlFor={id("max")}>Max connections (empty: no limit)</label>
        <input
          id={id("max")}
          inputMode="numeric"
          value={draft.maxConnections}
          onChange={(e) => setDraft({ ...draft, maxConnections: e.target.value })}
        />
        <label htmlFor={id("auth")}>Your app's auth endpoint (for the snippet below)</label>
        <input
          id={id("auth")}
          value={draft.authEndpoint}
          maxLength={500}
          placeholder="/broadcasting/auth"
          onChange={(e) => setDraft({ ...draft, authEndpoint: e.target.value })}
        />
        <div className="row">
          <button type="submit" className="primary">
            Save options
          </button>
          {saved && !error && (
            <span className="muted small" role="status">
              Saved — in force on every node.
            </span>
          )}
        </div>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <details>
        <summary>Connect pusher-js to this app</summary>
        <pre className="snippet">{snippet(app)}</pre>
      </details>
      <div className="row">
        {app.enabled ? (
          <ConfirmButton
            question={`Disable ${app.name}? Its ${app.connections} connections close now.`}
            confirm="Yes, disable"
            onConfirm={() => void run("PATCH", "", { enabled: false })}
            className="secondary"
          >
            Disable
          </ConfirmButton>
        ) : (
          <button
            type="button"
            className="secondary"
            onClick={() => void run("PATCH", "", { enabled: true })}
          >
            Enable
          </button>
        )}
        {app.source === "api" && (
          <>
            <ConfirmButton
              question="New key and secret? Apps using the old ones stop working until updated."
              confirm="Yes, rotate"
              onConfirm={() => void run("POST", "/rotate", { expectedVersion: app.version })}
              className="secondary"
            >
              Rotate key and secret
            </ConfirmButton>
            <ConfirmButton
              question={`Delete ${app.name}? Its connections close and its key stops working.`}
              confirm="Yes, delete"
              onConfirm={() => void run("DELETE", "")}
            >
              Delete app
            </ConfirmButton>
          </>
        )}
      </div>
    </article>
  );
}

function draftOf(app: PusherAppView) {
  return {
    name: app.name,
    clientEvents: app.clientEvents,
    subscriptionCount: app.subscriptionCount,
    webhookUrls: app.webhookUrls.join("\n"),
    maxConnections: app.maxConnections === null ? "" : String(app.maxConnections),
    authEndpoint: app.authEndpoint ?? "",
    jwtAuth: app.jwtAuth,
    webhookEvents: [...app.webhookEvents],
    clientEventsPerSecond: String(app.clientEventsPerSecond),
  };
}

/**
 * The Pusher apps of this server (admins): existing pusher-js / Laravel Echo apps connect with
 * an app's key; the screen creates apps, switches their options and rotates their credentials.
 */
export function PusherApps() {
  const session = useSession();
  const token = session?.token ?? null;
  const [apps, setApps] = useState<PusherAppView[]>();
  const [name, setName] = useState("");
  const [error, setError] = useState<string>();
  const load = useCallback(async () => {
    try {
      setApps((await api<{ apps: PusherAppView[] }>(token, "GET", "/api/pusher/apps")).apps);
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
    }
  }, [token]);
  useEffect(() => {
    if (session?.role !== "admin") return;
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load, session?.role]);

  if (session?.role !== "admin")
    return (
      <section className="page">
        <h1>Pusher apps</h1>
        <p>Only admins manage Pusher apps: their secrets sign every request.</p>
      </section>
    );
  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api(token, "POST", "/api/pusher/apps", { name: name.trim() || undefined });
      setName("");
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section className="page pusher-apps">
      <h1>Pusher apps</h1>
      <p className="muted">
        Apps built on pusher-js, Laravel Echo or a <code>pusher</code> server SDK connect here with
        an app's key — see docs/pusher.md.
      </p>
      <form className="row card" onSubmit={(e) => void create(e)}>
        <label htmlFor="new-pusher-app">New app name</label>
        <input
          id="new-pusher-app"
          value={name}
          maxLength={100}
          placeholder="Storefront"
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="primary">
          Create app
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {!apps && <div className="skeleton-line" aria-hidden="true" />}
      {apps?.length === 0 && <p className="muted">No apps yet: create one above.</p>}
      <div className="stack">
        {apps?.map((a) => (
          <AppCard key={a.id} app={a} onChanged={load} />
        ))}
      </div>
    </section>
  );
}
