import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Identity } from "../../../auth/identity.js";
import { SwitchboardError } from "../../../errors.js";
import type { ModuleContext, SwitchboardModule } from "../../../modules/types.js";
import { whoOf } from "../../kit/actor.js";
import { callerOf } from "../../kit/caller.js";
import { claimsOf } from "../../kit/claims.js";
import { int, withDefault } from "../../kit/env.js";
import { defineModuleConfig } from "../../module-config.js";
import {
  type Spin,
  spinBodySchema,
  spinSchema,
  WAVE_SIGNAL,
  type WidgetErrorCodes,
  widgetChannel,
  widgetClaimsSchema,
  widgetErrors,
} from "./contract.js";

declare module "../../../errors.js" {
  interface ModuleErrorCodes extends WidgetErrorCodes {}
}

interface WidgetSettings {
  maxTurns: number;
}

/**
 * A module that lives in a test folder and touches no core file: it declares a namespace, an
 * error code, a config variable, a claim and a contract, and the platform makes them work.
 */
export const widgetsModule: SwitchboardModule<WidgetSettings> = {
  name: "widgets",
  migrations: {},
  errors: widgetErrors,
  claims: widgetClaimsSchema,
  config: defineModuleConfig(
    z.object({ SWITCHBOARD_WIDGETS_MAX_TURNS: withDefault(int(1, 10), 3) }),
    (e) => ({ maxTurns: e.SWITCHBOARD_WIDGETS_MAX_TURNS }),
  ),
  namespaces: [
    {
      name: "widget",
      history: { size: 10, ttlMs: 60_000 },
      presence: false,
      joinLeave: false,
      clientPublish: true,
      recoverable: true,
      signals: [WAVE_SIGNAL],
      policy: ({ identity, rest, action }) =>
        action === "subscribe" || action === "history" || rest === identity.user,
    },
  ],
  register(ctx) {
    const spin = spinner(ctx);
    registerRoutes(ctx, spin);
    ctx.rpc.register("widgets.spin", {
      params: spinBodySchema.extend({ owner: z.string().min(1).max(64) }),
      handler: ({ owner, turns }, call) => spin(call.identity, owner, turns),
    });
  },
};

function spinner(ctx: ModuleContext<WidgetSettings>) {
  return async (identity: Identity, owner: string, turns: number): Promise<Spin> => {
    const { maxTurns } = ctx.settings;
    if (turns > maxTurns)
      throw new SwitchboardError("widget_jammed", `a widget takes at most ${maxTurns} turns`, {
        details: { maxTurns },
      });
    const { widgetColor } = claimsOf(widgetClaimsSchema, identity);
    const spun: Spin = {
      owner,
      turns,
      by: whoOf(identity),
      ...(widgetColor && { color: widgetColor }),
    };
    await ctx.publish(widgetChannel(owner), "spin", spun);
    return spun;
  };
}

function registerRoutes(
  ctx: ModuleContext<WidgetSettings>,
  spin: (identity: Identity, owner: string, turns: number) => Promise<Spin>,
): void {
  const r = ctx.http.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/api/widgets/:owner/spin",
    {
      onRequest: ctx.auth.user,
      schema: {
        summary: "Spin a widget (test module)",
        tags: ["widgets"],
        params: z.object({ owner: z.string().min(1).max(64) }),
        body: spinBodySchema,
        response: { 200: spinSchema },
      },
    },
    async (request) => spin(callerOf(request), request.params.owner, request.body.turns),
  );
  // A route that forgot its auth hook: callerOf answers 401 rather than pass `undefined` on.
  r.get("/api/widgets/forgotten-hook", async (request) => ({ caller: callerOf(request).user }));
}
