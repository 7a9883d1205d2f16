import type { Kysely, Transaction } from "kysely";
import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { isStaffOrServer, now } from "../../platform/kit/actor.js";
import type { Database } from "../../store/schema.js";
import type { Contact, Escalation, NotificationChannel, Preferences } from "./contract.js";
import type { EscalationPolicy } from "./escalation.js";
import type { NotificationUserRow } from "./migrations.js";
import { isTimeZone, type QuietHours } from "./quiet-hours.js";
import { insertRows } from "./rows.js";
import type { ContactInput, PreferencesInput } from "./schema.js";

/** What making a notification needs to know of its recipient. */
export interface Recipient {
  userId: string;
  timeZone: string | null;
  quiet: QuietHours | null;
  /** category → channel → off (only the ones switched off). */
  off: Map<string, Set<string>>;
  /** The user's own escalation (null: the server's). */
  escalation: EscalationPolicy | null;
  /** The contact's locale (a template variant of it is used when one exists). */
  locale: string | null;
}

function escalationOf(json: string | null | undefined): Escalation | null {
  return json ? (JSON.parse(json) as Escalation) : null;
}

const emptyUser = (userId: string): NotificationUserRow => ({
  user_id: userId,
  email: null,
  phone: null,
  time_zone: null,
  locale: null,
  quiet_start: null,
  quiet_end: null,
  unread_version: 0,
  updated_at: now(),
});

function checkZone(zone: string | null | undefined): void {
  if (zone && !isTimeZone(zone))
    throw new SwitchboardError("bad_time_zone", `${zone} is not an IANA time zone`);
}

const LOCK_CHUNK = 500;

/** What lockRecipients reads back from its upsert. */
interface LockedRow {
  user_id: string;
  time_zone: string | null;
  locale: string | null;
  quiet_start: string | null;
  quiet_end: string | null;
  escalation: string | null;
  unread_version: number | string;
  offs: string | null;
}

/**
 * lockRecipients' upsert after its values: the unread lock, and the recipient read back with
 * the channels they switched off as one JSON text `[[category, channel], …]` (or null).
 */
const lockTailOf = (dialect: "sqlite" | "postgres") =>
  `on conflict ("user_id") do update set "unread_version" = notification_users.unread_version + 1 ` +
  `returning "user_id", "time_zone", "locale", "quiet_start", "quiet_end", "escalation", "unread_version", ` +
  (dialect === "postgres"
    ? "(select json_agg(json_build_array(p.category, p.channel))::text from notification_preferences p where p.user_id = notification_users.user_id and p.enabled = 0)"
    : "(select json_group_array(json_array(p.category, p.channel)) from notification_preferences p where p.user_id = notification_users.user_id and p.enabled = 0)") +
  ' as "offs"';

function recipientOf(u: {
  user_id: string;
  time_zone: string | null;
  locale: string | null;
  quiet_start: string | null;
  quiet_end: string | null;
  escalation?: string | null | undefined;
}): Recipient {
  const r: Recipient = {
    userId: u.user_id,
    timeZone: u.time_zone,
    quiet: u.quiet_start && u.quiet_end ? { start: u.quiet_start, end: u.quiet_end } : null,
    off: new Map(),
    escalation: null,
    locale: u.locale,
  };
  const own = escalationOf(u.escalation);
  if (own) r.escalation = { afterMs: own.afterMinutes * 60_000, channels: own.channels };
  return r;
}

/** Contacts, time zones, quiet hours and channel preferences of users. */
export function createUsers(db: Kysely<Database>, dialect: "sqlite" | "postgres" = "sqlite") {
  const lockTail = lockTailOf(dialect);
  async function upsert(userId: string, set: Partial<NotificationUserRow>): Promise<void> {
    const row = { ...emptyUser(userId), ...set, updated_at: now() };
    const changes = { ...set, updated_at: row.updated_at };
    await db
      .insertInto("notification_users")
      .values(row)
      .onConflict((oc) => oc.column("user_id").doUpdateSet(changes))
      .execute();
  }

  async function row(userId: string): Promise<NotificationUserRow> {
    return (
      (await db
        .selectFrom("notification_users")
        .selectAll()
        .where("user_id", "=", userId)
        .executeTakeFirst()) ?? emptyUser(userId)
    );
  }

  return {
    /** The recipients of one batch, with everything the batch needs, in two queries. */
    async recipients(
      q: Transaction<Database> | Kysely<Database>,
      ids: string[],
    ): Promise<Map<string, Recipient>> {
      const out = new Map<string, Recipient>();
      for (const id of ids)
        out.set(id, {
          userId: id,
          timeZone: null,
          quiet: null,
          off: new Map(),
          escalation: null,
          locale: null,
        });
      if (ids.length === 0) return out;
      const users = await q
        .selectFrom("notification_users")
        .selectAll()
        .where("user_id", "in", ids)
        .execute();
      for (const u of users) {
        const r = out.get(u.user_id);
        if (!r) continue;
        r.timeZone = u.time_zone;
        r.locale = u.locale;
        if (u.quiet_start && u.quiet_end) r.quiet = { start: u.quiet_start, end: u.quiet_end };
        const own = escalationOf(u.escalation);
        if (own) r.escalation = { afterMs: own.afterMinutes * 60_000, channels: own.channels };
      }
      const offs = await q
        .selectFrom("notification_preferences")
        .select(["user_id", "category", "channel"])
        .where("user_id", "in", ids)
        .where("enabled", "=", 0)
        .execute();
      for (const p of offs) {
        const r = out.get(p.user_id);
        if (!r) continue;
        const set = r.off.get(p.category) ?? new Set<string>();
        set.add(p.channel);
        r.off.set(p.category, set);
      }
      return out;
    },

    /**
     * The recipients of a batch that makes inbox notifications, and their unread versions: one
     * upsert per 500 users takes each user's unread lock and next version (`ids` in user order:
     * two batches sharing users cannot deadlock) and returns, from the same statement, what the
     * batch needs of them (contact, quiet hours, escalation, the channels they switched off).
     * One round trip where reading users and preferences and then locking took three.
     */
    async lockRecipients(
      trx: Transaction<Database>,
      ids: readonly string[],
      at: string,
    ): Promise<{ recipients: Map<string, Recipient>; versions: Map<string, number> }> {
      const recipients = new Map<string, Recipient>();
      const versions = new Map<string, number>();
      for (let i = 0; i < ids.length; i += LOCK_CHUNK) {
        // cached SQL text (insertRows): the query builder's nodes per value cost more than the
        // statement; the other columns are null, as the row is new
        const rows = await insertRows<
          { user_id: string; unread_version: number; updated_at: string },
          LockedRow
        >(
          trx,
          "notification_users",
          ["user_id", "unread_version", "updated_at"],
          ids
            .slice(i, i + LOCK_CHUNK)
            .map((user_id) => ({ user_id, unread_version: 1, updated_at: at })),
          lockTail,
        );
        for (const u of rows) {
          const r = recipientOf(u);
          if (u.offs)
            for (const [category, channel] of JSON.parse(u.offs) as [string, string][]) {
              const set = r.off.get(category) ?? new Set<string>();
              set.add(channel);
              r.off.set(category, set);
            }
          recipients.set(u.user_id, r);
          versions.set(u.user_id, Number(u.unread_version));
        }
      }
      return { recipients, versions };
    },

    async contactOf(identity: Identity, userId: string): Promise<Contact> {
      if (!isStaffOrServer(identity) && identity.user !== userId)
        throw new SwitchboardError("forbidden", "a user may read only their own contacts");
      return this.contact(userId);
    },

    async contact(userId: string): Promise<Contact> {
      const u = await row(userId);
      return { userId, email: u.email, phone: u.phone, timeZone: u.time_zone, locale: u.locale };
    },

    /** Staff and the API key set anyone's contacts; a user their own. */
    async setContact(identity: Identity, userId: string, input: ContactInput): Promise<Contact> {
      if (!isStaffOrServer(identity) && identity.user !== userId)
        throw new SwitchboardError("forbidden", "a user may set only their own contacts");
      checkZone(input.timeZone);
      await upsert(userId, {
        ...(input.email !== undefined && { email: input.email }),
        ...(input.phone !== undefined && { phone: input.phone }),
        ...(input.timeZone !== undefined && { time_zone: input.timeZone }),
        ...(input.locale !== undefined && { locale: input.locale }),
      });
      return this.contact(userId);
    },

    async preferences(userId: string): Promise<Preferences> {
      const u = await row(userId);
      const rows = await db
        .selectFrom("notification_preferences")
        .selectAll()
        .where("user_id", "=", userId)
        .execute();
      const channels: Preferences["channels"] = {};
      for (const p of rows) {
        const c = channels[p.category] ?? {};
        c[p.channel as NotificationChannel] = p.enabled === 1;
        channels[p.category] = c;
      }
      return {
        channels,
        quietHours:
          u.quiet_start && u.quiet_end ? { start: u.quiet_start, end: u.quiet_end } : null,
        timeZone: u.time_zone,
        escalation: escalationOf(u.escalation),
      };
    },

    /** Changes what the body names; categories not named keep their settings. */
    async setPreferences(userId: string, input: PreferencesInput): Promise<Preferences> {
      checkZone(input.timeZone);
      await db.transaction().execute(async (trx) => {
        for (const [category, channels] of Object.entries(input.channels ?? {}))
          for (const [channel, on] of Object.entries(channels)) {
            if (on === undefined) continue;
            await trx
              .insertInto("notification_preferences")
              .values({ user_id: userId, category, channel, enabled: on ? 1 : 0 })
              .onConflict((oc) =>
                oc.columns(["user_id", "category", "channel"]).doUpdateSet({ enabled: on ? 1 : 0 }),
              )
              .execute();
          }
      });
      await upsert(userId, {
        ...(input.quietHours !== undefined && {
          quiet_start: input.quietHours?.start ?? null,
          quiet_end: input.quietHours?.end ?? null,
        }),
        ...(input.timeZone !== undefined && { time_zone: input.timeZone }),
        ...(input.escalation !== undefined && {
          escalation: input.escalation && JSON.stringify(input.escalation),
        }),
      });
      return this.preferences(userId);
    },

    /** Email and phone, for the channels that need them. */
    async addresses(userId: string): Promise<{ email: string | null; phone: string | null }> {
      const u = await row(userId);
      return { email: u.email, phone: u.phone };
    },
  };
}

export type Users = ReturnType<typeof createUsers>;
