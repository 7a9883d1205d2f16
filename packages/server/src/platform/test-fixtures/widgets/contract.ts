/**
 * A test module's wire contract, written the way a real module's is (see modules/orders): its
 * error code, its channel, its payloads. Only zod and the protocol.
 */
import { z } from "zod";

export const widgetErrors = {
  widget_jammed: {
    status: 423,
    description:
      "The widget was asked for more turns than it takes; `details.maxTurns` says how many.",
  },
} as const;
export type WidgetErrorCodes = typeof widgetErrors;

/** widget:{owner}: anyone watches; only its owner publishes; `wave` is its one signal. */
export const widgetChannel = (owner: string) => `widget:${owner}`;
export const WAVE_SIGNAL = "wave";

/** A claim the module reads: the colour a user's spins are painted. */
export const widgetClaimsSchema = z.object({
  widgetColor: z.enum(["red", "blue"]).optional(),
});

export const spinBodySchema = z.object({ turns: z.number().int().min(1).max(100) });

/** Event `spin` on widget:{owner}, and the REST answer. */
export const spinSchema = z.object({
  owner: z.string(),
  turns: z.number().int(),
  by: z.string(),
  color: z.enum(["red", "blue"]).optional(),
});
export type Spin = z.infer<typeof spinSchema>;
