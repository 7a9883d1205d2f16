import type { Identity } from "../../auth/identity.js";
import { SwitchboardError } from "../../errors.js";
import { now } from "../../platform/kit/actor.js";
import { isSupervisor } from "./access.js";
import type { Team } from "./contract.js";
import type { ChatDeps } from "./deps.js";
import { parseJson } from "./mapping.js";
import type { ChatTeamRow } from "./migrations.js";
import { revokeQueueAccess } from "./queue-channels.js";
import type { TeamInput } from "./schema.js";

function teamOf(row: ChatTeamRow, members: string[]): Team {
  return {
    id: row.id,
    name: row.name,
    members,
    resources: parseJson<string[]>(row.resources, []),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Teams of agents (a dealership, a shop, "billing"): admins manage them; routing reads them. */
export function createTeams(deps: ChatDeps) {
  const { db } = deps;

  function requireAdmin(identity: Identity): void {
    if (!isSupervisor(identity))
      throw new SwitchboardError("forbidden", "only admins or the API key manage teams");
  }

  async function views(rows: ChatTeamRow[]): Promise<Team[]> {
    if (rows.length === 0) return [];
    const members = await db
      .selectFrom("chat_team_members")
      .selectAll()
      .where(
        "team_id",
        "in",
        rows.map((r) => r.id),
      )
      .orderBy("user_id")
      .execute();
    return rows.map((r) =>
      teamOf(
        r,
        members.filter((m) => m.team_id === r.id).map((m) => m.user_id),
      ),
    );
  }

  /** The teams a user belongs to. */
  async function teamsOf(userId: string): Promise<string[]> {
    const rows = await db
      .selectFrom("chat_team_members")
      .select("team_id")
      .where("user_id", "=", userId)
      .execute();
    return rows.map((r) => r.team_id);
  }

  return {
    teamsOf,

    /** Every membership at once (one routing pass reads it once). */
    async memberships(): Promise<Map<string, Set<string>>> {
      const rows = await db.selectFrom("chat_team_members").selectAll().execute();
      const byUser = new Map<string, Set<string>>();
      for (const r of rows) {
        const set = byUser.get(r.user_id) ?? new Set<string>();
        set.add(r.team_id);
        byUser.set(r.user_id, set);
      }
      return byUser;
    },

    /** The team owning an appointment resource, if any. */
    async teamOfResource(resourceId: string): Promise<string | undefined> {
      const rows = await db.selectFrom("chat_teams").select(["id", "resources"]).execute();
      return rows.find((r) => parseJson<string[]>(r.resources, []).includes(resourceId))?.id;
    },

    async exists(id: string): Promise<boolean> {
      const row = await db
        .selectFrom("chat_teams")
        .select("id")
        .where("id", "=", id)
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Creates or replaces a team, its members and its resources, in one transaction. */
    async put(
      identity: Identity,
      id: string,
      input: TeamInput,
    ): Promise<{ team: Team; created: boolean }> {
      requireAdmin(identity);
      const at = now();
      const members = [...new Set(input.members)].sort();
      const resources = [...new Set(input.resources)];
      const created = await db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom("chat_teams")
          .select("id")
          .where("id", "=", id)
          .executeTakeFirst();
        await trx
          .insertInto("chat_teams")
          .values({
            id,
            name: input.name,
            resources: JSON.stringify(resources),
            created_at: at,
            updated_at: at,
          })
          .onConflict((oc) =>
            oc.column("id").doUpdateSet({
              name: input.name,
              resources: JSON.stringify(resources),
              updated_at: at,
            }),
          )
          .execute();
        await trx.deleteFrom("chat_team_members").where("team_id", "=", id).execute();
        if (members.length)
          await trx
            .insertInto("chat_team_members")
            .values(members.map((user_id) => ({ team_id: id, user_id })))
            .execute();
        return existing === undefined;
      });
      const row = await db
        .selectFrom("chat_teams")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      await revokeQueueAccess(deps, id);
      return { team: teamOf(row, members), created };
    },

    async remove(identity: Identity, id: string): Promise<void> {
      requireAdmin(identity);
      const gone = await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("chat_team_members").where("team_id", "=", id).execute();
        return trx.deleteFrom("chat_teams").where("id", "=", id).executeTakeFirst();
      });
      if (Number(gone.numDeletedRows) !== 1)
        throw new SwitchboardError("not_found", `no team ${id}`);
      await revokeQueueAccess(deps, id);
    },

    /** Admins and the API key: every team. Agents: the teams they are in. */
    async list(identity: Identity): Promise<Team[]> {
      let q = db.selectFrom("chat_teams").selectAll().orderBy("id");
      if (!isSupervisor(identity)) {
        const mine = await teamsOf(identity.user);
        if (mine.length === 0) return [];
        q = q.where("id", "in", mine);
      }
      return views(await q.execute());
    },
  };
}

export type Teams = ReturnType<typeof createTeams>;
