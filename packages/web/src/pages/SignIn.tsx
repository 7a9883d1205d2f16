import { type FormEvent, useState } from "react";
import { ApiError, api, errorText } from "../app/api.js";
import { navigate } from "../app/router.js";
import { type Role, setSession } from "../app/session.js";

const PRESETS: { user: string; name: string; role: Role; what: string }[] = [
  { user: "alice", name: "Alice", role: "customer", what: "Follow a repair, chat with the shop" },
  { user: "ann", name: "Ann", role: "agent", what: "Answer chats, move orders along" },
  { user: "sam", name: "Sam", role: "admin", what: "Everything, plus the dashboard" },
];

/** Development sign-in: the server mints a token for whoever you say you are. */
export function SignIn() {
  const [user, setUser] = useState("alice");
  const [name, setName] = useState("Alice");
  const [role, setRole] = useState<Role>("customer");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function signIn(u: string, n: string, r: Role) {
    setBusy(true);
    setError(undefined);
    try {
      const { token, expiresAt } = await api<{ token: string; expiresAt: string }>(
        null,
        "POST",
        "/api/dev/token",
        { sub: u, name: n, role: r },
      );
      setSession({ user: u, name: n, role: r, token, expiresAt });
      navigate(r === "customer" ? "/shop" : "/console/orders", true);
    } catch (e) {
      // the route does not exist in production (NODE_ENV=production): say so plainly
      setError(
        e instanceof ApiError && e.status === 404
          ? "Demo sign-in is only available in development mode. In production your own backend signs the tokens."
          : errorText(e),
      );
    } finally {
      setBusy(false);
    }
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void signIn(user.trim(), name.trim() || user.trim(), role);
  };

  return (
    <main id="main" className="signin">
      <div className="signin-card">
        <h1>
          <span className="logo" aria-hidden="true" /> Switchboard demo
        </h1>
        <p className="muted">
          Pick who you are. Open a second window as someone else to see everything update live.
        </p>
        <div className="presets">
          {PRESETS.map((p) => (
            <button
              type="button"
              key={p.user}
              className="preset"
              disabled={busy}
              onClick={() => void signIn(p.user, p.name, p.role)}
            >
              <strong>
                {p.name} <span className={`role role-${p.role}`}>{p.role}</span>
              </strong>
              <span className="muted">{p.what}</span>
            </button>
          ))}
        </div>
        <form onSubmit={submit} className="stack" aria-label="Sign in as someone else">
          <div className="row">
            <label>
              User id
              <input
                value={user}
                onChange={(e) => setUser(e.target.value)}
                required
                pattern="[A-Za-z0-9_.@\-]+"
                maxLength={64}
              />
            </label>
            <label>
              Name
              <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
            </label>
            <label>
              Role
              <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <option value="customer">customer</option>
                <option value="agent">agent</option>
                <option value="admin">admin</option>
              </select>
            </label>
          </div>
          <button type="submit" className="primary" disabled={busy}>
            Sign in
          </button>
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
        </form>
      </div>
    </main>
  );
}
