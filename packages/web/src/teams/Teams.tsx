import type { Team } from "@switchboard/server/contracts/chat";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { api, errorText } from "../app/api.js";
import { useSession } from "../app/session.js";
import { ConfirmButton } from "../components/Confirm.js";

const list = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Teams of agents (a dealership, a shop, "billing"): chats about an item go to the team that
 * owns it. Admins create and edit them; agents see the teams they are in.
 */
export function Teams() {
  const session = useSession();
  const token = session?.token ?? null;
  const admin = session?.role === "admin";
  const [teams, setTeams] = useState<Team[]>();
  const [error, setError] = useState<string>();
  const [draft, setDraft] = useState({ id: "", name: "", members: "", resources: "" });

  const load = useCallback(async () => {
    try {
      setTeams((await api<{ teams: Team[] }>(token, "GET", "/api/chat/teams")).teams);
    } catch (e) {
      setError(errorText(e));
    }
  }, [token]);
  useEffect(() => {
    void load();
  }, [load]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api<Team>(token, "PUT", `/api/chat/teams/${encodeURIComponent(draft.id.trim())}`, {
        name: draft.name.trim(),
        members: list(draft.members),
        resources: list(draft.resources),
      });
      setDraft({ id: "", name: "", members: "", resources: "" });
      setError(undefined);
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const remove = async (id: string) => {
    try {
      await api(token, "DELETE", `/api/chat/teams/${encodeURIComponent(id)}`);
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section className="page teams">
      <h1>Teams</h1>
      <p className="muted">
        A chat about an item goes to the team that owns it (set an item's team in the catalog or
        inventory). {admin ? "" : "These are the teams you are in."}
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ul className="list" aria-label="Teams">
        {teams?.length === 0 && <li className="muted small">No teams yet.</li>}
        {teams?.map((t) => (
          <li key={t.id} className="list-item">
            <span>
              <strong>{t.name}</strong> <span className="muted small">({t.id})</span>
              <span className="small" data-testid={`team-members-${t.id}`}>
                {" "}
                · {t.members.length ? t.members.join(", ") : "no members"}
              </span>
            </span>
            {admin && (
              <span className="row">
                <button
                  type="button"
                  className="secondary"
                  onClick={() =>
                    setDraft({
                      id: t.id,
                      name: t.name,
                      members: t.members.join(", "),
                      resources: t.resources.join(", "),
                    })
                  }
                >
                  Edit
                </button>
                <ConfirmButton
                  question={`Delete ${t.name}?`}
                  confirm="Yes, delete"
                  onConfirm={() => void remove(t.id)}
                >
                  Delete
                </ConfirmButton>
              </span>
            )}
          </li>
        ))}
      </ul>
      {admin && (
        <form className="card stack" onSubmit={(e) => void save(e)}>
          <h2>Add or change a team</h2>
          <label>
            Team id
            <input
              value={draft.id}
              onChange={(e) => setDraft({ ...draft, id: e.target.value })}
              pattern="[a-z0-9][a-z0-9_\-]{0,39}"
              placeholder="dealer-a"
              required
            />
          </label>
          <label>
            Name
            <input
              value={draft.name}
              onChange={(e) => setDraft({ ...draft, name: e.target.value })}
              maxLength={100}
              required
            />
          </label>
          <label>
            Members (agents' user ids, comma-separated)
            <input
              value={draft.members}
              onChange={(e) => setDraft({ ...draft, members: e.target.value })}
            />
          </label>
          <label>
            Appointment resources it answers for (comma-separated ids)
            <input
              value={draft.resources}
              onChange={(e) => setDraft({ ...draft, resources: e.target.value })}
            />
          </label>
          <button type="submit" className="primary">
            Save team
          </button>
        </form>
      )}
    </section>
  );
}
