/**
 * Template variables: `{{ path.to.value }}` is replaced with that value of the notification's
 * data (missing: empty). No logic in templates: what varies goes in the data.
 */
const VARIABLE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

export function lookup(data: unknown, path: string): unknown {
  let value: unknown = data;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

export function render(template: string, data: unknown): string {
  return template.replace(VARIABLE, (_, path: string) => text(lookup(data, path)));
}

/** For HTML parts: values are escaped, the template's own markup is kept. */
export function renderHtml(template: string, data: unknown): string {
  return template.replace(VARIABLE, (_, path: string) => escapeHtml(text(lookup(data, path))));
}

/** Renders every string inside a JSON value (action urls and rpc params). */
export function renderDeep<T>(value: T, data: unknown): T {
  if (typeof value === "string") return render(value, data) as T;
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, data)) as T;
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, data)])) as T;
  return value;
}
