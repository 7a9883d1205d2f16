import { useChannel } from "@switchboard/react";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useSession } from "../../app/session.js";
import { formatTime } from "../time.js";
import "./notes.css";
import { useErrorState } from "../../app/useErrorState.js";

/** A private note as the server answers it (modules/chat/notes.ts). */
export interface ChatNote {
  id: string;
  conversationId: string;
  author: { id: string; name?: string };
  text: string;
  createdAt: string;
}

/**
 * Staff-only notes beside a conversation ("refund approved by Sam"). They live on their own
 * channel (`staff:notes:{id}`) and route: the customer's widget never receives them. Shown
 * apart from the messages, in a yellow box, so nobody mistakes one for a reply.
 */
export function PrivateNotes({
  conversationId,
  initial,
}: {
  conversationId: string;
  /** Notes already loaded with a transcript (history view); else they are fetched. */
  initial?: ChatNote[];
}) {
  const token = useSession()?.token ?? null;
  const [notes, setNotes] = useState<ChatNote[] | undefined>(initial);
  const [text, setText] = useState("");
  const [error, setError] = useErrorState<string>();
  const add = useCallback((note: ChatNote) => {
    setNotes((list) => (list?.some((n) => n.id === note.id) ? list : [...(list ?? []), note]));
  }, []);
  useEffect(() => {
    if (initial) return;
    let live = true;
    void api<{ items: ChatNote[] }>(
      token,
      "GET",
      `/api/chat/conversations/${encodeURIComponent(conversationId)}/notes`,
    ).then(
      (r) =>
        live &&
        setNotes((list) => [
          ...r.items,
          ...(list ?? []).filter((n) => !r.items.some((x) => x.id === n.id)),
        ]),
      (e) => live && setError(errorText(e)),
    );
    return () => {
      live = false;
    };
  }, [token, conversationId, initial]);
  useChannel(`staff:notes:${conversationId}`, (m) => {
    if (m.event === "note") add(m.data as ChatNote);
  });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    try {
      add(
        await api<ChatNote>(
          token,
          "POST",
          `/api/chat/conversations/${encodeURIComponent(conversationId)}/notes`,
          { text },
        ),
      );
      setText("");
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <section className="private-notes" aria-label="Private notes">
      <h3>
        Private notes <span className="muted small">— only staff see these</span>
      </h3>
      {!notes && <div className="skeleton-line" aria-hidden="true" />}
      {notes?.length === 0 && <p className="muted small">No notes yet.</p>}
      {notes && notes.length > 0 && (
        <ol className="notes-list">
          {notes.map((n) => (
            <li key={n.id} className="note">
              <span className="muted small">
                {n.author.name ?? n.author.id} · {formatTime(n.createdAt)}
              </span>
              <p>{n.text}</p>
            </li>
          ))}
        </ol>
      )}
      <form className="row note-form" onSubmit={(e) => void submit(e)}>
        <label className="grow">
          <span className="sr-only">New private note</span>
          <input
            value={text}
            maxLength={4000}
            placeholder="Note for your team…"
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        <button type="submit" className="secondary" disabled={!text.trim()}>
          Add note
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
