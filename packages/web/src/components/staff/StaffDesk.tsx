import { useChannel } from "@switchboard/react";
import type {
  Agent,
  ChatMessage,
  Conversation,
  ConversationPage,
  QueueEntry,
  ReceiptEvent,
  StaffQueueEvent,
  Team,
  TeamQueueEvent,
} from "@switchboard/server/contracts/chat";
import {
  conversationChannel,
  POOL_QUEUE_CHANNEL,
  STAFF_CHAT_CHANNEL,
  teamQueueChannel,
} from "@switchboard/server/names/chat";
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

/**
 * A waiting conversation and how long it had waited at `at` (this page's clock); `score` when a
 * live queue event told it (a REST snapshot does not).
 */
export type QueueItem = Omit<QueueEntry, "score"> & { score?: number; at: number };

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
  // each live queue I may read, by channel: staff:chat (general), my teams' (all for admins), and
  // the pool's when I am in no team; the server sends each only its own conversations
  const [queues, setQueues] = useState<Record<string, QueueItem[]>>({});
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

  // when each channel's last live queue arrived (a REST snapshot older than it is stale there)
  const queueEventAt = useRef(new Map<string, number>());
  const admin = session?.role === "admin";
  const loadAll = useCallback(async () => {
    const started = performance.now();
    const myTeams = api<{ teams: Team[] }>(token, "GET", "/api/chat/teams").then(
      (t) => t.teams,
      () => [] as Team[],
    );
    await Promise.all([
      api<Agent>(token, "GET", "/api/chat/agents/me").then(setMe, (e: unknown) => {
        if (e instanceof ApiError && e.status === 404) setMe(null);
      }),
      myTeams.then(setTeams),
      Promise.all([
        api<{ agents: Agent[] }>(token, "GET", "/api/chat/agents"),
        api<ConversationPage>(token, "GET", "/api/chat/conversations?status=waiting&limit=100"),
        myTeams,
      ]).then(
        ([a, w, t]) => {
          if ((queueEventAt.current.get(STAFF_CHAT_CHANNEL) ?? -1) < started) setAgents(a.agents);
          const at = Date.now();
          // the server lists what I may see; file each under the live queue that will update it
          const mine = new Set(t.map((x) => x.id));
          const byChannel: Record<string, QueueItem[]> = {};
          for (const c of w.items) {
            const channel =
              c.teamId === undefined
                ? STAFF_CHAT_CHANNEL
                : admin || mine.has(c.teamId)
                  ? teamQueueChannel(c.teamId)
                  : POOL_QUEUE_CHANNEL;
            const list = byChannel[channel] ?? [];
            byChannel[channel] = list;
            list.push({
              id: c.id,
              ...(c.subject !== undefined && { subject: c.subject }),
              ...(c.teamId !== undefined && { teamId: c.teamId }),
              priority: c.priority,
              vip: c.vip,
              skills: c.skills,
              waitedMs: at - Date.parse(c.queuedAt),
              at,
            });
          }
          setQueues((prev) => {
            const next: Record<string, QueueItem[]> = {};
            for (const channel of new Set([...Object.keys(prev), ...Object.keys(byChannel)])) {
              // a queue event since the fetch began carries that queue, newer
              const live = (queueEventAt.current.get(channel) ?? -1) >= started;
              next[channel] = live ? (prev[channel] ?? []) : (byChannel[channel] ?? []);
            }
            return next;
          });
        },
        (e: unknown) => setError(errorText(e)),
      ),
      loadMine(),
    ]);
  }, [token, loadMine, admin]);

  const onQueue = useCallback((channel: string, waiting: QueueEntry[]) => {
    queueEventAt.current.set(channel, performance.now());
    const at = Date.now();
    setQueues((prev) => ({ ...prev, [channel]: waiting.map((w) => ({ ...w, at })) }));
  }, []);

  const { subscription } = useChannel(STAFF_CHAT_CHANNEL, (m) => {
    if (m.event !== "queue") return;
    const data = m.data as StaffQueueEvent;
    onQueue(STAFF_CHAT_CHANNEL, data.waiting);
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

  // The queues I read beside staff:chat: my teams' (admins: every team's), or, in no team, what
  // falls to the general pool. The server refuses the others.
  const queueChannels = useMemo(
    () =>
      session?.role === "admin" || teams.length > 0
        ? teams.map((t) => teamQueueChannel(t.id))
        : session?.role === "agent"
          ? [POOL_QUEUE_CHANNEL]
          : [],
    [teams, session?.role],
  );
  // One list: every queue I read, each conversation once, most urgent first.
  const queue = useMemo(() => {
    const read = new Set([STAFF_CHAT_CHANNEL, ...queueChannels]);
    const byId = new Map<string, QueueItem>();
    for (const [channel, items] of Object.entries(queues))
      if (read.has(channel)) for (const q of items) byId.set(q.id, q);
    return [...byId.values()].sort(
      // then the one queued first (at − waitedMs: when it joined, on this page's clock)
      (a, b) => (b.score ?? 0) - (a.score ?? 0) || a.at - a.waitedMs - (b.at - b.waitedMs),
    );
  }, [queues, queueChannels]);

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
      {queueChannels.map((channel) => (
        <WatchQueue key={channel} channel={channel} onQueue={onQueue} onResync={loadAll} />
      ))}
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

/** Follows one team's live queue (or the pool's): each event is that whole queue. */
function WatchQueue({
  channel,
  onQueue,
  onResync,
}: {
  channel: string;
  onQueue: (channel: string, waiting: QueueEntry[]) => void;
  onResync: () => void;
}) {
  const { subscription } = useChannel(channel, (m) => {
    if (m.event === "queue") onQueue(channel, (m.data as TeamQueueEvent).waiting);
  });
  useResync(subscription, onResync);
  // Taken out of the team (the server ended it: `revoked`): read my teams and the queue again
  useEffect(
    () =>
      subscription?.on("unsubscribed", ({ code }) => {
        if (code === "revoked") onResync();
      }),
    [subscription, onResync],
  );
  return null;
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
