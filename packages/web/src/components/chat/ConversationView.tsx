import { useTyping } from "@switchboard/react";
import type { ChatMessage } from "@switchboard/server/contracts/chat";
import { conversationChannel } from "@switchboard/server/names/chat";
import { type FormEvent, type MouseEvent, useEffect, useRef, useState } from "react";
import { ApiError, api, errorText } from "../../app/api.js";
import { useSession } from "../../app/session.js";
import { useErrorState } from "../../app/useErrorState.js";
import { formatTime } from "../Progress.js";
import type { ChatLine, LiveConversation } from "./useConversation.js";

/** Initials for an avatar: "Ann Lee" → "AL". */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (
    (parts[0]?.[0] ?? "?") + (parts.length > 1 ? (parts.at(-1)?.[0] ?? "") : "")
  ).toUpperCase();
}

/**
 * Messages, streaming bot answers, typing, receipts and the composer — for customers and agents
 * alike. `canned` offers ready replies (agents); `nameOf` names whoever has no name yet.
 */
export function ConversationView({
  live,
  canned,
  nameOf,
}: {
  live: LiveConversation;
  canned?: readonly string[];
  nameOf?: (id: string, role: string) => string;
}) {
  const session = useSession();
  const token = session?.token ?? null;
  const { conversation, messages, streaming, lines, names } = live;
  const authorName = (id: string, role: string) =>
    role === "bot"
      ? "Assistant"
      : (names.get(id) ?? nameOf?.(id, role) ?? (role === "agent" ? "Support" : "Customer"));
  const id = conversation?.id;
  const { typing, notifyTyping, stopTyping } = useTyping(id ? conversationChannel(id) : "");
  const typingNames = typing.map((u) => names.get(u) ?? nameOf?.(u, "") ?? "Someone");
  const [text, setText] = useState("");
  const [error, setError] = useErrorState<string>();
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
      const body = (await res.json().catch(() => ({}))) as {
        id?: string;
        code?: string;
        message?: string;
      };
      if (!res.ok || !body.id)
        throw new ApiError(res.status, body.code ?? "internal", body.message ?? "upload failed");
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

  const renderMessage = (m: ChatMessage) => {
    const author = authorName(m.author.id, m.author.role);
    const mineMsg = m.author.id === me;
    return (
      <li
        key={m.seq}
        className={`msg ${mineMsg ? "mine" : `theirs ${m.author.role}`}`}
        data-author={m.author.id}
      >
        {!mineMsg && (
          <span className="msg-author">
            <span className="avatar" aria-hidden="true">
              {m.author.role === "bot" ? "AI" : initials(author)}
            </span>
            {author}
          </span>
        )}
        {m.text && <p>{m.text}</p>}
        {m.attachment && <AttachmentLink attachment={m.attachment} token={token} />}
        {m.meta.sources && m.meta.sources.length > 0 && (
          <span className="sources">
            Source: {m.meta.sources.map((s) => s.title).join(", ")}
            {m.meta.confidence !== undefined &&
              ` · confidence ${Math.round(m.meta.confidence * 100)}%`}
          </span>
        )}
        <span className="msg-meta">
          {formatTime(m.createdAt)}
          {m === lastMine && otherRead >= m.seq && <span data-testid="read-receipt"> · Seen</span>}
        </span>
      </li>
    );
  };

  return (
    <div className="conversation">
      <ol className="messages" ref={listRef} aria-live="polite" aria-label="Messages">
        {timeline(messages, lines).map((entry) =>
          "seq" in entry ? (
            renderMessage(entry)
          ) : (
            <li
              key={`line-${entry.at}-${entry.text}`}
              className="chat-line"
              data-testid="chat-line"
            >
              {entry.text}
            </li>
          ),
        )}
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
        {typingNames.length > 0 &&
          `${typingNames.join(", ")} ${typingNames.length > 1 ? "are" : "is"} typing…`}
      </div>
      {open && canned && canned.length > 0 && (
        <label className="inline canned">
          <span className="sr-only">Insert a canned reply</span>
          <select
            value=""
            onChange={(e) => {
              if (e.target.value) setText((t) => (t ? `${t} ${e.target.value}` : e.target.value));
            }}
          >
            <option value="">Canned replies…</option>
            {canned.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
      )}
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
            tabIndex={-1}
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
          {conversation ? `This conversation is ${conversation.status}.` : "Loading…"}
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

/** Messages and lines in one list, by time (a line sorts after messages of the same instant). */
export function timeline(
  messages: readonly ChatMessage[],
  lines: readonly ChatLine[],
): (ChatMessage | ChatLine)[] {
  if (!lines.length) return [...messages];
  const out: (ChatMessage | ChatLine)[] = [];
  let i = 0;
  for (const m of messages) {
    while (i < lines.length && (lines[i] as ChatLine).at < m.createdAt)
      out.push(lines[i++] as ChatLine);
    out.push(m);
  }
  while (i < lines.length) out.push(lines[i++] as ChatLine);
  return out;
}

/**
 * An attachment: images show a small preview (fetched with the token), and any file opens as a
 * download of its own name. The link's address is the API's, never a blob: URL.
 */
function AttachmentLink({
  attachment,
  token,
}: {
  attachment: NonNullable<ChatMessage["attachment"]>;
  token: string | null;
}) {
  const [preview, setPreview] = useState<string>();
  const isImage = attachment.mime.startsWith("image/");
  useEffect(() => {
    if (!isImage) return;
    let live = true;
    void fetch(`/api/chat/attachments/${attachment.id}`, {
      headers: { authorization: `Bearer ${token}` },
    })
      .then((r) => (r.ok ? r.blob() : undefined))
      .then((b) => {
        if (!b || !live || b.size > 2_000_000) return;
        // a data: URL (the app's CSP allows images from data:, not blob:), shown as an <img>
        // only: an image element runs no script
        const reader = new FileReader();
        reader.onload = () => {
          if (live && typeof reader.result === "string") setPreview(reader.result);
        };
        reader.readAsDataURL(b);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [attachment.id, isImage, token]);
  return (
    <a
      className="attachment"
      href={`/api/chat/attachments/${attachment.id}`}
      download={attachment.name}
      onClick={(e) => void downloadAttachment(e, token, attachment.name)}
    >
      {preview && <img src={preview} alt="" className="attachment-preview" />}
      <span>
        {isImage ? "Image" : "File"}: {attachment.name}{" "}
        <span className="small">({formatSize(attachment.size)}, download)</span>
      </span>
    </a>
  );
}

function formatSize(bytes: number): string {
  return bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${Math.round(bytes / 1024)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
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
