import { useChannel } from "@switchboard/react";
import type {
  Agent,
  ChatMessage,
  Conversation,
  ConversationPage,
  ReceiptEvent,
  StaffQueueEvent,
  Team,
} from "@switchboard/server/contracts/chat";
import { conversationChannel, STAFF_CHAT_CHANNEL } from "@switchboard/server/names/chat";
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { ApiError, api, errorText } from "../../app/api.js";
import { useResync } from "../../app/live.js";
import { navigate } from "../../app/router.js";
import { useSession } from "../../app/session.js";
import { setTitleCount } from "../../app/title.js";
import { toast } from "../Toasts.js";
import { beep, useSoundSetting } from "./sound.js";
import { unreadOf } from "./unread.js";

/** A waiting conversation and how long it had waited at `at` (this page's clock). */
export type QueueItem = Omit<StaffQueueEvent["waiting"][number], "score"> & { at: number };

export interface StaffDesk {
  /** My agent row; `null` when I never set a status (offline). */
  me: Agent | null | undefined;
  agents: Agent[];
  queue: QueueItem[];
  /** My active conversations, newest first. */
  mine: Conversation[];
  /** The conversation the inbox shows (its messages are read as they come). */
  selected: string | undefined;
  select: (id: string | undefined) => void;
  setStatus: (status: Agent["status"]) => Promise<void>;
  claim: (id: string) => Promise<void>;
  reload: () => Promise<void>;
  error: string | undefined;
  sound: boolean;
  setSound: (on: boolean) => void;
}

const DeskContext = createContext<StaffDesk | null>(null);

export function useStaffDesk(): StaffDesk {
  const desk = useContext(DeskContext);
  if (!desk) throw new Error("useStaffDesk outside <StaffDeskProvider>");
  return desk;
}

/**
 * What an agent needs wherever they are in the console, held once for the whole console:
 * - presence on staff:chat (what tells the router the agent is connected: leaving the inbox for
 *   the order board must not requeue their chats), and on each of their conversations (what
 *   tells the customer someone is there);
 * - their conversations, with unread counts kept live by those conversations' events;
 * - a notice when a chat is assigned to them: a toast, the tab title, the Inbox badge, and a
 *   sound if they turned it on.
 */
export function StaffDeskProvider({ children }: { children: ReactNode }) {
  const session = useSession();
  const token = session?.token ?? null;
  const user = session?.user;
  const [me, setMe] = useState<Agent | null>();
  const [agents, setAgents] = useState<Agent[]>([]);
  const [allQueue, setQueue] = useState<QueueItem[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const [mine, setMine] = useState<Conversation[]>([]);
  const [selected, select] = useState<string>();
  const [error, setError] = useState<string>();
  const [sound, setSound] = useSoundSetting();
  const soundRef = useRef(sound);
  soundRef.current = sound;
  // ids of my conversations already known (claimed by me or shown before): the others are new
  const known = useRef<Set<string> | undefined>(undefined);

  const loadMine = useCallback(async () => {
    try {
      const page = await api<ConversationPage>(
        token,
        "GET",
        "/api/chat/conversations?mine=true&status=active&limit=100",
      );
      const fresh = known.current ? page.items.filter((c) => !known.current?.has(c.id)) : [];
      known.current = new Set(page.items.map((c) => c.id));
      setMine(page.items);
      setError(undefined);
      for (const c of fresh) {
        toast({
          title: "New chat assigned to you",
          body: `${c.customerName ?? c.customerId}: ${c.subject ?? "no subject"}`,
          href: "/console/inbox",
          onOpen: () => select(c.id),
        });
      }
      if (fresh.length && soundRef.current) beep();
    } catch (e) {
      setError(errorText(e));
    }
  }, [token]);

  const queueEventAt = useRef(Number.NEGATIVE_INFINITY);
  const loadAll = useCallback(async () => {
    const started = performance.now();
    await Promise.all([
      api<Agent>(token, "GET", "/api/chat/agents/me").then(setMe, (e: unknown) => {
        if (e instanceof ApiError && e.status === 404) setMe(null);
      }),
      api<{ teams: Team[] }>(token, "GET", "/api/chat/teams").then(
        (t) => setTeams(t.teams),
        () => setTeams([]),
      ),
      Promise.all([
        api<{ agents: Agent[] }>(token, "GET", "/api/chat/agents"),
        api<ConversationPage>(token, "GET", "/api/chat/conversations?status=waiting&limit=100"),
      ]).then(
        ([a, w]) => {
          // a queue event since the fetch began carries the whole, newer queue
          if (queueEventAt.current >= started) return;
          setAgents(a.agents);
          const at = Date.now();
          setQueue(
            w.items.map((c) => ({
              id: c.id,
              ...(c.subject !== undefined && { subject: c.subject }),
              ...(c.teamId !== undefined && { teamId: c.teamId }),
              priority: c.priority,
              vip: c.vip,
              skills: c.skills,
              waitedMs: at - Date.parse(c.queuedAt),
              at,
            })),
          );
        },
        (e: unknown) => setError(errorText(e)),
      ),
      loadMine(),
    ]);
  }, [token, loadMine]);

  const { subscription } = useChannel(STAFF_CHAT_CHANNEL, (m) => {
    if (m.event !== "queue") return;
    const data = m.data as StaffQueueEvent;
    queueEventAt.current = performance.now();
    const at = Date.now();
    setQueue(data.waiting.map(({ score: _score, ...w }) => ({ ...w, at })));
    setAgents(data.agents);
    const self = data.agents.find((a) => a.userId === user);
    // the event lists agents who are not offline: absent means offline
    setMe((prev) => self ?? (prev ? { ...prev, status: "offline", activeCount: 0 } : prev));
    void loadMine();
  });
  useEffect(() => {
    void loadAll();
  }, [loadAll]);
  useResync(subscription, loadAll);

  // A conversation that left my list (transferred, requeued, resolved elsewhere) is no longer open.
  useEffect(() => {
    if (selected && !mine.some((c) => c.id === selected) && known.current?.has(selected) === false)
      select(undefined);
  }, [mine, selected]);

  // Team members see the general queue and their teams' (admins and agents in no team: all of
  // it); the server holds the same rule for listing and claiming.
  const queue = useMemo(() => {
    if (session?.role === "admin" || teams.length === 0) return allQueue;
    const ids = new Set(teams.map((t) => t.id));
    return allQueue.filter((q) => !q.teamId || ids.has(q.teamId));
  }, [allQueue, teams, session?.role]);

  const unreadTotal = mine.filter((c) => unreadOf(c, user) > 0).length;
  useEffect(() => {
    setTitleCount(unreadTotal);
    return () => setTitleCount(0);
  }, [unreadTotal]);

  const onMessage = useCallback(
    (id: string, message: ChatMessage) =>
      setMine((all) =>
        all.map((c) =>
          c.id === id && message.seq > c.lastSeq
            ? {
                ...c,
                lastSeq: message.seq,
                // my own message: I have read up to it
                receipts:
                  message.author.id === user
                    ? withReceipt(c.receipts, user, message.seq)
                    : c.receipts,
              }
            : c,
        ),
      ),
    [user],
  );
  const onRead = useCallback(
    (id: string, r: ReceiptEvent) =>
      setMine((all) =>
        all.map((c) =>
          c.id === id ? { ...c, receipts: withReceipt(c.receipts, r.userId, r.upTo) } : c,
        ),
      ),
    [],
  );

  const setStatus = useCallback(
    async (status: Agent["status"]) => {
      try {
        setMe(
          await api<Agent>(token, "PUT", "/api/chat/agents/me", {
            status,
            capacity: me?.capacity ?? 3,
            skills: me?.skills ?? [],
            ...(session?.name && { name: session.name }),
          }),
        );
        setError(undefined);
        await loadMine();
      } catch (e) {
        setError(errorText(e));
      }
    },
    [token, me, session?.name, loadMine],
  );
  const claim = useCallback(
    async (id: string) => {
      try {
        await api(token, "POST", `/api/chat/conversations/${id}/claim`);
        known.current?.add(id); // taken by me: not news
        select(id);
        setError(undefined);
        await loadMine();
      } catch (e) {
        setError(errorText(e));
      }
    },
    [token, loadMine],
  );

  const desk = useMemo<StaffDesk>(
    () => ({
      me,
      agents,
      queue,
      mine,
      selected,
      select,
      setStatus,
      claim,
      reload: loadMine,
      error,
      sound,
      setSound,
    }),
    [me, agents, queue, mine, selected, setStatus, claim, loadMine, error, sound, setSound],
  );
  return (
    <DeskContext.Provider value={desk}>
      {mine.map((c) => (
        <WatchConversation
          key={c.id}
          id={c.id}
          onMessage={onMessage}
          onRead={onRead}
          onChange={loadMine}
        />
      ))}
      {children}
    </DeskContext.Provider>
  );
}

function withReceipt(receipts: Conversation["receipts"], userId: string | undefined, upTo: number) {
  if (!userId) return receipts;
  const mine = receipts.find((r) => r.userId === userId) ?? { userId, deliveredSeq: 0, readSeq: 0 };
  return [
    ...receipts.filter((r) => r.userId !== userId),
    {
      ...mine,
      deliveredSeq: Math.max(mine.deliveredSeq, upTo),
      readSeq: Math.max(mine.readSeq, upTo),
    },
  ];
}

/** Follows one of my conversations (and, by presence, is there for its customer). */
function WatchConversation({
  id,
  onMessage,
  onRead,
  onChange,
}: {
  id: string;
  onMessage: (id: string, m: ChatMessage) => void;
  onRead: (id: string, r: ReceiptEvent) => void;
  onChange: () => void;
}) {
  const { subscription } = useChannel(conversationChannel(id), (m) => {
    if (m.event === "message") onMessage(id, m.data as ChatMessage);
    else if (m.event === "read") onRead(id, m.data as ReceiptEvent);
    else if (m.event === "transferred" || m.event === "status") onChange();
  });
  // what was said before this subscription started (the customer's first question) counts too
  useResync(subscription, onChange);
  return null;
}

/** The Inbox link's badge: how many of my chats have unread messages. */
export function InboxBadge() {
  const session = useSession();
  const desk = useContext(DeskContext);
  const n = desk?.mine.filter((c) => unreadOf(c, session?.user) > 0).length ?? 0;
  if (!n) return null;
  return (
    <span className="count-badge" data-testid="inbox-badge">
      {n}
      <span className="sr-only"> unread</span>
    </span>
  );
}

/** Opens the inbox on a conversation (a toast's "Open", a link elsewhere). */
export function openInInbox(desk: StaffDesk, id: string): void {
  desk.select(id);
  navigate("/console/inbox");
}
