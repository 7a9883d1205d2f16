import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { ulid } from "ulid";
import type { Broker } from "../../broker/types.js";
import { SwitchboardError } from "../../errors.js";
import type { Database } from "../../store/schema.js";
import type { EnvAppOptions, PusherApp, PusherSettings, WebhookEventName } from "./config.js";
import type { PusherAppRow } from "./migrations.js";

/** Every node listens here; a change made on one node is re-read from the database on all. */
export const APPS_CHANNEL = "pusher.apps";
const CHANGED = "apps_changed";
/** A node that missed a change signal (pub/sub is lossy across a Redis reconnect) still catches up. */
const RELOAD_EVERY_MS = 30_000;

export interface AppOptionsInput {
  name?: string | undefined;
  enabled?: boolean | undefined;
  /** null: back to SWITCHBOARD_PUSHER_CLIENT_EVENTS. */
  clientEvents?: boolean | null | undefined;
  subscriptionCount?: boolean | undefined;
  /** null: back to SWITCHBOARD_PUSHER_WEBHOOK_URLS. */
  webhookUrls?: string[] | null | undefined;
  maxConnections?: number | null | undefined;
  authEndpoint?: string | null | undefined;
  jwtAuth?: boolean | undefined;
  /** null: back to SWITCHBOARD_PUSHER_WEBHOOK_EVENTS. */
  webhookEvents?: WebhookEventName[] | null | undefined;
  /** null: back to SWITCHBOARD_PUSHER_CLIENT_EVENTS_PER_SECOND. */
  clientEventsPerSecond?: number | null | undefined;
}

export interface CreateAppInput extends AppOptionsInput {
  id?: string | undefined;
}

/** What the registry tells the endpoint after a reload: an app's options or credentials moved. */
export type AppsListener = (app: PusherApp, removed: boolean) => void;

const newKey = () => randomBytes(10).toString("hex");
const newSecret = () => randomBytes(24).toString("hex");

/**
 * The Pusher apps of the cluster: rows of `pusher_apps`, env apps seeded into it at start-up.
 * One object per app id lives as long as the process and is updated in place on reload, so a
 * socket holding it sees the current secret and options; lookups by key follow rotations.
 */
export class PusherApps {
  private readonly byId = new Map<string, PusherApp>();
  private readonly byKey = new Map<string, PusherApp>();
  private readonly listeners: AppsListener[] = [];
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      broker: Broker;
      settings: PusherSettings;
      logger: Logger;
    },
  ) {}

  /** Seeds the env apps (the environment wins for their credentials), loads, listens for changes. */
  async start(): Promise<void> {
    const { db, settings, broker } = this.deps;
    const now = new Date().toISOString();
    for (const app of settings.apps) {
      await db
        .insertInto("pusher_apps")
        .values({
          id: app.id,
          key: app.key,
          secret: app.secret,
          name: app.id,
          source: "env",
          enabled: 1,
          client_events: null,
          subscription_count: 0,
          webhook_urls: null,
          max_connections: null,
          auth_endpoint: null,
          jwt_auth: 0,
          webhook_events: null,
          client_events_per_second: null,
          version: 1,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.column("id").doUpdateSet({ key: app.key, secret: app.secret, source: "env" }),
        )
        .execute();
      const options = settings.appOptions[app.id];
      if (options) await this.applyEnvOptions(app.id, options, now);
    }
    broker.onEvent((event) => {
      if (event.channel === APPS_CHANNEL) void this.reload();
    });
    await broker.subscribe(APPS_CHANNEL);
    await this.reload();
    this.timer = setInterval(() => void this.reload(), RELOAD_EVERY_MS);
    this.timer.unref();
  }

  /** What SWITCHBOARD_PUSHER_APP_OPTIONS names for an env app is written at every start. */
  private async applyEnvOptions(id: string, o: EnvAppOptions, now: string): Promise<void> {
    const set = columnsOf(o);
    if (Object.keys(set).length === 0) return;
    await this.deps.db
      .updateTable("pusher_apps")
      .set((eb) => ({ ...set, updated_at: now, version: eb("version", "+", 1) }))
      .where("id", "=", id)
      .execute();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  onChange(listener: AppsListener): void {
    this.listeners.push(listener);
  }

  list(): PusherApp[] {
    return [...this.byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  getByKey(key: string): PusherApp | undefined {
    return this.byKey.get(key);
  }

  find(id: string): PusherApp | undefined {
    return this.byId.get(id);
  }

  /** The app for the HTTP API and the management routes: 404 when there is none. */
  get(id: string): PusherApp {
    const app = this.byId.get(id);
    if (!app) throw new SwitchboardError("pusher_unknown_app", `no Pusher app ${id}`);
    return app;
  }

  /** Re-reads every app; concurrent calls run one after the other. */
  reload(): Promise<void> {
    this.reloading = this.reloading
      .then(() => this.load())
      .catch((err) => this.deps.logger.warn({ err }, "pusher apps could not be reloaded"));
    return this.reloading;
  }

  private async load(): Promise<void> {
    const rows = await this.deps.db.selectFrom("pusher_apps").selectAll().execute();
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.id);
      const fresh = this.fromRow(row);
      const app = this.byId.get(row.id);
      if (
        app &&
        app.version === fresh.version &&
        app.key === fresh.key &&
        app.secret === fresh.secret
      )
        continue;
      if (app) {
        if (this.byKey.get(app.key) === app) this.byKey.delete(app.key);
        Object.assign(app, fresh);
      }
      const current = app ?? fresh;
      this.byId.set(current.id, current);
      this.byKey.set(current.key, current);
      for (const l of this.listeners) l(current, false);
    }
    for (const [id, app] of this.byId) {
      if (seen.has(id)) continue;
      this.byId.delete(id);
      if (this.byKey.get(app.key) === app) this.byKey.delete(app.key);
      app.enabled = false;
      for (const l of this.listeners) l(app, true);
    }
  }

  private fromRow(row: PusherAppRow): PusherApp {
    const { settings } = this.deps;
    return {
      id: row.id,
      key: row.key,
      secret: row.secret,
      name: row.name,
      source: row.source,
      enabled: row.enabled === 1,
      clientEvents: row.client_events === null ? settings.clientEvents : row.client_events === 1,
      subscriptionCount: row.subscription_count === 1,
      webhookUrls:
        row.webhook_urls === null
          ? settings.webhookUrls
          : (JSON.parse(row.webhook_urls) as string[]),
      maxConnections: row.max_connections,
      authEndpoint: row.auth_endpoint,
      jwtAuth: row.jwt_auth === 1,
      webhookEvents:
        row.webhook_events === null
          ? settings.webhookEvents
          : (JSON.parse(row.webhook_events) as WebhookEventName[]),
      clientEventsPerSecond: row.client_events_per_second ?? settings.clientEventsPerSecond,
      version: row.version,
    };
  }

  /** Reloads here and tells every other node to. */
  private async changed(): Promise<void> {
    await this.reload();
    await this.deps.broker
      .broadcast({
        kind: "signal",
        channel: APPS_CHANNEL,
        event: CHANGED,
        data: {},
        ts: Date.now(),
      })
      .catch((err) => this.deps.logger.warn({ err }, "pusher apps change not announced"));
  }

  async create(input: CreateAppInput): Promise<PusherApp> {
    const id = input.id ?? ulid().toLowerCase();
    const now = new Date().toISOString();
    const inserted = await this.deps.db
      .insertInto("pusher_apps")
      .values({
        id,
        key: newKey(),
        secret: newSecret(),
        name: input.name ?? id,
        source: "api",
        enabled: input.enabled === false ? 0 : 1,
        client_events:
          input.clientEvents === undefined || input.clientEvents === null
            ? null
            : Number(input.clientEvents),
        subscription_count: input.subscriptionCount ? 1 : 0,
        webhook_urls:
          input.webhookUrls === undefined || input.webhookUrls === null
            ? null
            : JSON.stringify(input.webhookUrls),
        max_connections: input.maxConnections ?? null,
        auth_endpoint: input.authEndpoint ?? null,
        jwt_auth: input.jwtAuth ? 1 : 0,
        webhook_events: input.webhookEvents ? JSON.stringify(input.webhookEvents) : null,
        client_events_per_second: input.clientEventsPerSecond ?? null,
        version: 1,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0)
      throw new SwitchboardError("conflict", `a Pusher app ${id} already exists`);
    await this.changed();
    return this.get(id);
  }

  /** Changes options; with `expectedVersion`, only if nobody changed the app since (409). */
  async update(id: string, input: AppOptionsInput, expectedVersion?: number): Promise<PusherApp> {
    const app = this.get(id);
    const set: Partial<PusherAppRow> = {
      ...columnsOf(input),
      updated_at: new Date().toISOString(),
    };
    await this.bump(app.id, set, expectedVersion);
    return this.get(id);
  }

  /** New key and secret for an app made over REST (an env app's credentials belong to the env). */
  async rotate(id: string, expectedVersion?: number): Promise<PusherApp> {
    const app = this.get(id);
    if (app.source === "env")
      throw new SwitchboardError(
        "pusher_app_from_env",
        `app ${id} comes from SWITCHBOARD_PUSHER_APPS: change its credentials there`,
      );
    await this.bump(
      app.id,
      { key: newKey(), secret: newSecret(), updated_at: new Date().toISOString() },
      expectedVersion,
    );
    return this.get(id);
  }

  async remove(id: string): Promise<void> {
    const app = this.get(id);
    if (app.source === "env")
      throw new SwitchboardError(
        "pusher_app_from_env",
        `app ${id} comes from SWITCHBOARD_PUSHER_APPS: remove it there`,
      );
    await this.deps.db.deleteFrom("pusher_apps").where("id", "=", id).execute();
    await this.changed();
  }

  private async bump(
    id: string,
    set: Partial<PusherAppRow>,
    expectedVersion: number | undefined,
  ): Promise<void> {
    let q = this.deps.db
      .updateTable("pusher_apps")
      .set((eb) => ({ ...set, version: eb("version", "+", 1) }))
      .where("id", "=", id);
    if (expectedVersion !== undefined) q = q.where("version", "=", expectedVersion);
    const r = await q.executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) {
      await this.reload();
      throw new SwitchboardError(
        "conflict",
        expectedVersion === undefined
          ? `no Pusher app ${id}`
          : `app ${id} changed since version ${expectedVersion}: reload it`,
        { details: { version: this.find(id)?.version } },
      );
    }
    await this.changed();
  }
}

/** The row columns of the options given (undefined: unchanged; null: the server's default). */
function columnsOf(input: AppOptionsInput): Partial<PusherAppRow> {
  const set: Partial<PusherAppRow> = {};
  const json = (v: unknown[] | null) => (v === null ? null : JSON.stringify(v));
  if (input.name !== undefined) set.name = input.name;
  if (input.enabled !== undefined) set.enabled = Number(input.enabled);
  if (input.clientEvents !== undefined)
    set.client_events = input.clientEvents === null ? null : Number(input.clientEvents);
  if (input.subscriptionCount !== undefined)
    set.subscription_count = Number(input.subscriptionCount);
  if (input.webhookUrls !== undefined) set.webhook_urls = json(input.webhookUrls);
  if (input.maxConnections !== undefined) set.max_connections = input.maxConnections;
  if (input.authEndpoint !== undefined) set.auth_endpoint = input.authEndpoint;
  if (input.jwtAuth !== undefined) set.jwt_auth = Number(input.jwtAuth);
  if (input.webhookEvents !== undefined) set.webhook_events = json(input.webhookEvents);
  if (input.clientEventsPerSecond !== undefined)
    set.client_events_per_second = input.clientEventsPerSecond;
  return set;
}
