import { useTyping } from "@switchboard/react";
import { type FormEvent, type MouseEvent, useEffect, useRef, useState } from "react";
import { api, errorText } from "../../app/api.js";
import { useSession } from "../../app/session.js";
import { formatTime } from "../Progress.js";
import type { LiveConversation } from "./useConversation.js";

/** Messages, streaming bot answers, typing, receipts and the composer — for customers and agents alike. */
export function ConversationView({ live }: { live: LiveConversation }) {
  const session = useSession();
  const token = session?.token ?? null;
  const { conversation, messages, streaming } = live;
  const id = conversation?.id;
  const { typing, notifyTyping, stopTyping } = useTyping(id ? `conversation:${id}` : "");
  const [text, setText] = useState("");
  const [error, setError] = useState<string>();
  const [sending, setSending] = useState(false);
  const listRef = useRef<HTMLOListElement>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const lastSeq = messages.at(-1)?.seq ?? 0;
  const me = session?.user;
  const open = conversation?.status === "waiting" || conversation?.status === "active";

  // Seeing a message is reading it: tell the other side (receipts only move forward).
  useEffect(() => {
    if (!id || !lastSeq || !open) return;
    const mine = conversation?.receipts.find((r) => r.userId === me);
    if (mine && mine.readSeq >= lastSeq) return;
    const read = () => {
      if (document.visibilityState === "visible")
        void api(token, "POST", `/api/chat/conversations/${id}/read`, { upTo: lastSeq }).catch(
          () => undefined,
        );
    };
    read();
    document.addEventListener("visibilitychange", read);
    return () => document.removeEventListener("visibilitychange", read);
  }, [id, lastSeq, open, token, me, conversation?.receipts]);

  useEffect(() => {
    listRef.current?.lastElementChild?.scrollIntoView({ block: "end" });
  }, [messages.length, streaming]);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!id || !text.trim()) return;
    setSending(true);
    stopTyping();
    try {
      await api(token, "POST", `/api/chat/conversations/${id}/messages`, {
        text,
        clientId: crypto.randomUUID(),
      });
      setText("");
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSending(false);
    }
  };

  const upload = async (file: File) => {
    if (!id) return;
    const form = new FormData();
    form.append("conversationId", id);
    form.append("file", file, file.name);
    try {
      const res = await fetch("/api/chat/attachments", {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      const body = (await res.json()) as { id?: string; message?: string };
      if (!res.ok || !body.id) throw new Error(body.message ?? "upload failed");
      await api(token, "POST", `/api/chat/conversations/${id}/messages`, {
        text: "",
        attachmentId: body.id,
      });
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const otherRead = Math.max(
    0,
    ...(conversation?.receipts.filter((r) => r.userId !== me).map((r) => r.readSeq) ?? [0]),
  );
  const lastMine = [...messages].reverse().find((m) => m.author.id === me);

  return (
    <div className="conversation">
      <ol className="messages" ref={listRef} aria-live="polite" aria-label="Messages">
        {messages.map((m) => (
          <li
            key={m.seq}
            className={`msg ${m.author.id === me ? "mine" : `theirs ${m.author.role}`}`}
          >
            {m.author.id !== me && (
              <span className="msg-author">
                {m.author.role === "bot" ? "Assistant" : m.author.id}
              </span>
            )}
            {m.text && <p>{m.text}</p>}
            {m.attachment && (
              <a
                className="attachment"
                href={`/api/chat/attachments/${m.attachment.id}`}
                download={m.attachment.name}
                onClick={(e) => void downloadAttachment(e, token, m.attachment?.name ?? "file")}
              >
                Attachment: {m.attachment.name}
              </a>
            )}
            {m.meta.sources && m.meta.sources.length > 0 && (
              <span className="sources">
                Source: {m.meta.sources.map((s) => s.title).join(", ")}
                {m.meta.confidence !== undefined &&
                  ` · confidence ${Math.round(m.meta.confidence * 100)}%`}
              </span>
            )}
            <span className="msg-meta">
              {formatTime(m.createdAt)}
              {m === lastMine && otherRead >= m.seq && (
                <span data-testid="read-receipt"> · Seen</span>
              )}
            </span>
          </li>
        ))}
        {[...streaming.entries()].map(([mid, partial]) => (
          <li key={mid} className="msg theirs bot streaming">
            <span className="msg-author">Assistant</span>
            <p>
              {partial}
              <span className="caret" aria-hidden="true" />
            </p>
          </li>
        ))}
      </ol>
      <div className="typing" aria-live="polite" data-testid="typing">
        {typing.length > 0 && `${typing.join(", ")} ${typing.length > 1 ? "are" : "is"} typing…`}
      </div>
      {open ? (
        <form className="composer" onSubmit={(e) => void send(e)}>
          <label className="sr-only" htmlFor={`compose-${id}`}>
            Message
          </label>
          <input
            id={`compose-${id}`}
            value={text}
            maxLength={1000}
            placeholder="Write a message…"
            autoComplete="off"
            onChange={(e) => {
              setText(e.target.value);
              if (e.target.value) notifyTyping();
            }}
          />
          <input
            ref={fileRef}
            type="file"
            className="sr-only"
            aria-label="Attach a file"
            accept="image/jpeg,image/png,image/gif,application/pdf,text/plain"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void upload(f);
              e.target.value = "";
            }}
          />
          <button
            type="button"
            className="ghost icon"
            aria-label="Attach a file"
            onClick={() => fileRef.current?.click()}
          >
            <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true">
              <path
                d="M21 11l-8.5 8.5a5 5 0 01-7-7L14 4a3.5 3.5 0 015 5l-8.5 8.5a2 2 0 01-3-3L15 7"
                fill="none"
                stroke="currentColor"
                strokeWidth="2"
                strokeLinecap="round"
              />
            </svg>
          </button>
          <button type="submit" className="primary" disabled={sending || !text.trim()}>
            Send
          </button>
        </form>
      ) : (
        <p className="muted closed-note">
          This conversation is {conversation?.status ?? "loading"}.
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * Attachments need the token, so they are fetched, then saved as a download. They are never
 * opened as a page: a file shown at a blob: URL would run in this app's origin, with its token.
 */
async function downloadAttachment(
  e: MouseEvent<HTMLAnchorElement>,
  token: string | null,
  name: string,
) {
  e.preventDefault();
  const res = await fetch(e.currentTarget.href, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) return;
  const url = URL.createObjectURL(await res.blob());
  const link = document.createElement("a");
  link.href = url;
  // The server's name carries the extension of the detected type.
  link.download =
    /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1] ?? name;
  link.rel = "noopener";
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
