/**
 * The words the coach's rules read, beyond English where it is cheap: day names and "today" /
 * "yesterday" in German, French, Spanish, Italian, Portuguese and Dutch. A question in another
 * language that names no such word still gets an answer (coach.ts: an overview with a lower
 * confidence), never a crash or a guess.
 */

/** Lower case, accents dropped, apostrophes and hyphens as spaces: "Sábado" → "sabado". */
export function normalise(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/['’`-]/g, " ");
}

/** Index 0 is Sunday, like Date#getUTCDay. */
const WEEKDAY_WORDS: readonly (readonly string[])[] = [
  ["sunday", "sonntag", "dimanche", "domingo", "domenica", "zondag"],
  ["monday", "montag", "lundi", "lunes", "lunedi", "segunda", "maandag"],
  ["tuesday", "dienstag", "mardi", "martes", "martedi", "terca", "dinsdag"],
  ["wednesday", "mittwoch", "mercredi", "miercoles", "mercoledi", "quarta", "woensdag"],
  ["thursday", "donnerstag", "jeudi", "jueves", "giovedi", "quinta", "donderdag"],
  ["friday", "freitag", "vendredi", "viernes", "venerdi", "sexta", "vrijdag"],
  ["saturday", "samstag", "sonnabend", "samedi", "sabado", "sabato", "zaterdag"],
];
const TODAY = ["today", "heute", "aujourd", "hoy", "oggi", "hoje", "vandaag"];
// "hier" is French for yesterday but German and Dutch for "here": read last, only when nothing
// else names a day
const YESTERDAY = ["yesterday", "gestern", "ayer", "ieri", "ontem", "gisteren"];
const WEAK_YESTERDAY = ["hier"];

const has = (q: string, words: readonly string[], plural = false) =>
  words.some((w) => new RegExp(`(^|[^\\p{L}])${w}${plural ? "s?" : ""}($|[^\\p{L}])`, "u").test(q));

export type NamedDay = { kind: "today" } | { kind: "yesterday" } | { kind: "weekday"; day: number };

/** The day a question names, in any of the languages above; undefined when it names none. */
export function namedDay(question: string): NamedDay | undefined {
  const q = normalise(question);
  if (has(q, YESTERDAY)) return { kind: "yesterday" };
  if (has(q, TODAY)) return { kind: "today" };
  const day = WEEKDAY_WORDS.findIndex((words) => has(q, words, true));
  if (day >= 0) return { kind: "weekday", day };
  if (has(q, WEAK_YESTERDAY)) return { kind: "yesterday" };
  return undefined;
}

/** Hours and discounts, in the same languages (the quiet/busy hours rule). */
export const HOURS_WORDS =
  /\b(hours?|discount\w*|quiet|slow|busy|peak|off-peak|rush|stunden?|uhrzeit\w*|rabatt\w*|heures?|remises?|horas?|descuentos?|ore|sconto|sconti|horario\w*|uren|korting\w*)\b/i;

const ENGLISH = [
  "the",
  "how",
  "what",
  "which",
  "when",
  "why",
  "did",
  "was",
  "were",
  "is",
  "are",
  "do",
  "does",
  "should",
  "my",
  "our",
  "we",
  "last",
  "week",
  "can",
  "you",
];

/** Whether a question reads as English (one of its common small words is in it). */
export function looksEnglish(question: string): boolean {
  return has(normalise(question), ENGLISH);
}
