import type { MigrationSet } from "../../store/migrations.js";

/** The Pusher module keeps no tables of its own yet. */
export const pusherMigrations: MigrationSet = {};
