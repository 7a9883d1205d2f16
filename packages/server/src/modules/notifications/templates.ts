import type { Kysely } from "kysely";
import { SwitchboardError } from "../../errors.js";
import type { Database } from "../../store/schema.js";
import type { Template, TemplateContent } from "./contract.js";
import { DEFAULT_TEMPLATES } from "./defaults.js";

/**
 * A locale's variant of a type is stored under `type@locale` (a type name cannot hold `@`):
 * versioned like any template, chosen by the recipient's contact locale, the exact tag first,
 * then its language, then the type itself.
 */
export const variantOf = (type: string, locale?: string) =>
  locale ? `${type}@${locale.toLowerCase()}` : type;

/** The variants a recipient's locale looks for, most precise first: de-at, then de. */
export function localesOf(locale: string): string[] {
  const tag = locale.toLowerCase();
  const language = tag.split("-")[0] as string;
  return language === tag ? [tag] : [tag, language];
}

function fromRow(row: {
  type: string;
  version: number;
  content: string;
  created_at: string;
}): Template {
  const [type, locale] = row.type.split("@");
  return {
    ...(JSON.parse(row.content) as TemplateContent),
    type: type as string,
    ...(locale && { locale }),
    version: row.version,
    createdAt: row.created_at,
  };
}

function builtIn(type: string): Template | undefined {
  const content = DEFAULT_TEMPLATES[type];
  return content && { ...content, type, version: 0, createdAt: null };
}

/** Templates: the built-in defaults (version 0) and versions made over REST (1, 2, …). */
export function createTemplates(db: Kysely<Database>) {
  // Sends of one type in a row read its template once per few seconds, not once per recipient.
  const cache = new Map<string, { at: number; template: Template | undefined }>();
  const CACHE_MS = 2000;
  const versions = new Map<string, Template>();

  async function latest(type: string, q: Kysely<Database> = db): Promise<Template | undefined> {
    const row = await q
      .selectFrom("notification_templates")
      .selectAll()
      .where("type", "=", type)
      .orderBy("version", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? fromRow(row) : builtIn(type);
  }

  return {
    /** The current template of a type (or of a `type@locale` variant), if there is one. */
    async find(type: string, q: Kysely<Database> = db): Promise<Template | undefined> {
      const hit = cache.get(type);
      const template = hit && Date.now() - hit.at < CACHE_MS ? hit.template : await latest(type, q);
      if (!hit || hit.template !== template) cache.set(type, { at: Date.now(), template });
      return template;
    },

    /** The current template of a type, or `unknown_notification_type`. */
    async current(type: string, q: Kysely<Database> = db): Promise<Template> {
      const template = await this.find(type, q);
      if (!template)
        throw new SwitchboardError("unknown_notification_type", `no template of type ${type}`);
      return template;
    },

    /** The recipient's locale's variant of a type, if one was made (de-AT, then de). */
    async localized(
      type: string,
      locale: string,
      q: Kysely<Database> = db,
    ): Promise<Template | undefined> {
      for (const l of localesOf(locale)) {
        const found = await this.find(variantOf(type, l), q);
        if (found) return found;
      }
      return undefined;
    },

    /** `q`: a task's or handler's transaction when there is one (SQLite has one connection). */
    async get(type: string, version?: number, q: Kysely<Database> = db): Promise<Template> {
      // A version never changes once saved: each is read once per process.
      const key = version === undefined ? undefined : `${type}@${version}`;
      const known = key && versions.get(key);
      if (known) return known;
      const template =
        version === undefined
          ? await latest(type, q)
          : version === 0
            ? builtIn(type)
            : await q
                .selectFrom("notification_templates")
                .selectAll()
                .where("type", "=", type)
                .where("version", "=", version)
                .executeTakeFirst()
                .then((r) => r && fromRow(r));
      if (!template) throw new SwitchboardError("unknown_notification_type", `no template ${type}`);
      if (key && versions.size < 1000) versions.set(key, template);
      return template;
    },

    /** Every type's current template. */
    async list(): Promise<Template[]> {
      const rows = await db.selectFrom("notification_templates").selectAll().execute();
      const byType = new Map<string, Template>();
      for (const [type] of Object.entries(DEFAULT_TEMPLATES))
        byType.set(type, builtIn(type) as Template);
      for (const row of rows) {
        const have = byType.get(row.type);
        if (!have || have.version < row.version) byType.set(row.type, fromRow(row));
      }
      return [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
    },

    async versions(type: string): Promise<Template[]> {
      const rows = await db
        .selectFrom("notification_templates")
        .selectAll()
        .where("type", "=", type)
        .orderBy("version", "desc")
        .execute();
      const all = rows.map(fromRow);
      const base = builtIn(type);
      if (base) all.push(base);
      if (all.length === 0)
        throw new SwitchboardError("unknown_notification_type", `no template ${type}`);
      return all;
    },

    /**
     * Saves a new version (the previous ones stay, and notifications made from them keep their
     * version number). Two racing saves get consecutive versions: the primary key refuses the
     * second insert of one number and it takes the next.
     */
    async save(type: string, content: TemplateContent, by: string): Promise<Template> {
      for (let attempt = 0; attempt < 5; attempt++) {
        const top = await db
          .selectFrom("notification_templates")
          .select((eb) => eb.fn.max("version").as("v"))
          .where("type", "=", type)
          .executeTakeFirst();
        const version = Number(top?.v ?? 0) + 1;
        const created_at = new Date().toISOString();
        const inserted = await db
          .insertInto("notification_templates")
          .values({ type, version, content: JSON.stringify(content), created_at, created_by: by })
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
          cache.delete(type);
          return fromRow({ type, version, content: JSON.stringify(content), created_at });
        }
      }
      throw new SwitchboardError("conflict", "the template kept changing; retry");
    },
  };
}

export type Templates = ReturnType<typeof createTemplates>;
