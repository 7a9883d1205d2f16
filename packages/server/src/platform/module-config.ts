import type { z } from "zod";

/**
 * A module's config section: every variable it reads, in one zod object (keys are the variable
 * names, all `SWITCHBOARD_<MODULE>_…`), and how the parsed values become the settings its
 * register() receives as `ctx.settings`. Parsed with the core config, from the same environment,
 * once at start-up; a bad value stops start-up with the variable's name.
 */
export interface ModuleConfig<Settings> {
  schema: z.ZodObject;
  build(env: Record<string, unknown>): Settings;
  /** Old names of its variables: set, they stop start-up with a pointer to the new name. */
  renamed?: Readonly<Record<string, string>>;
}

export function defineModuleConfig<T extends z.ZodObject, Settings>(
  schema: T,
  build: (env: z.output<T>) => Settings,
  options: { renamed?: Readonly<Record<string, string>> } = {},
): ModuleConfig<Settings> {
  return {
    schema,
    build: (env) => build(env as z.output<T>),
    ...(options.renamed && { renamed: options.renamed }),
  };
}

/** `SWITCHBOARD_ORDERS_` for module `orders`: the prefix every one of its variables carries. */
export function envPrefix(module: string): string {
  return `SWITCHBOARD_${module.toUpperCase().replaceAll("-", "_")}_`;
}

/** What config.ts needs of a module to read its section. */
export interface ConfiguredModule {
  name: string;
  config?: ModuleConfig<unknown>;
}

/** The variable names a module declares (for the prefix check, the docs test, operators). */
export function moduleVariables(module: ConfiguredModule): string[] {
  return module.config ? Object.keys(module.config.schema.shape) : [];
}

type Issue = { variable: string; message: string };

/**
 * Parses one module's section from the environment. Returns its settings, or the problems in
 * the same form as the core config's (variable, message).
 */
export function parseModuleConfig(
  module: ConfiguredModule,
  source: Record<string, string | undefined>,
): { settings: unknown; issues: Issue[] } {
  const config = module.config;
  if (!config) return { settings: undefined, issues: [] };
  const prefix = envPrefix(module.name);
  for (const variable of moduleVariables(module))
    if (!variable.startsWith(prefix))
      throw new Error(`module ${module.name}: variable ${variable} must start with ${prefix}`);
  const issues: Issue[] = [];
  for (const [old, now] of Object.entries(config.renamed ?? {}))
    if (source[old] !== undefined && source[old] !== "")
      issues.push({ variable: old, message: `was renamed ${now}` });
  const parsed = config.schema.safeParse(source);
  if (!parsed.success) {
    for (const i of parsed.error.issues)
      issues.push({ variable: String(i.path[0] ?? prefix), message: i.message });
    return { settings: undefined, issues };
  }
  return { settings: issues.length ? undefined : config.build(parsed.data), issues };
}
