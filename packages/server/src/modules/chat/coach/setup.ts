import { fromModule } from "../../../paths.js";
import { loadKnowledge } from "../bot/knowledge.js";
import type { CoachSettings } from "../config.js";
import { createCoach } from "./coach.js";
import type { BusinessFacts } from "./facts.js";
import { anthropicModel, type ChatModel, geminiModel, openAiModel } from "./models.js";

/** The staff playbook shipped with the server (discounts, quiet hours, no-shows…). */
export const DEFAULT_PLAYBOOK_DIR = fromModule("../../../../knowledge/coach", import.meta.url);

const DEFAULTS = {
  anthropic: { baseUrl: "https://api.anthropic.com/v1", model: "claude-3-5-haiku-latest" },
  gemini: {
    baseUrl: "https://generativelanguage.googleapis.com/v1beta",
    model: "gemini-2.0-flash",
  },
  openai: { baseUrl: "", model: "gpt-4o-mini" },
} as const;

/** The configured model, or undefined for the built-in answerer. */
export function modelOf(settings: CoachSettings): ChatModel | undefined {
  if (settings.provider === "builtin") return undefined;
  const d = DEFAULTS[settings.provider];
  const options = {
    baseUrl: settings.baseUrl ?? d.baseUrl,
    model: settings.model ?? d.model,
    ...(settings.apiKey && { apiKey: settings.apiKey }),
  };
  if (settings.provider === "anthropic") return anthropicModel(options);
  if (settings.provider === "gemini") return geminiModel(options);
  return openAiModel(options);
}

/** `timeZone`: the business's (the metrics module's, else pricing's, else UTC). */
export function setUpCoach(settings: CoachSettings, facts: BusinessFacts, timeZone = "UTC") {
  const model = modelOf(settings);
  return createCoach({
    facts,
    timeZone,
    playbook: loadKnowledge(settings.knowledgeDir ?? DEFAULT_PLAYBOOK_DIR),
    ...(model && { model }),
  });
}
