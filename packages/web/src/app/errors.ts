/**
 * Error codes in plain words, each with what to do next. The server's own message is for
 * developers ("invalid body"); people read these. A code not listed here falls back to a
 * general sentence, never to the raw message.
 */
const SENTENCES: Record<string, string> = {
  bad_request: "Some of what you entered is not valid. Check the highlighted fields and try again.",
  unauthorized: "Your session has ended. Sign out and sign in again to continue.",
  forbidden: "Your account is not allowed to do that. Ask a colleague with more rights.",
  not_found:
    "We could not find that. It may have been removed — reload the page to see what is there now.",
  conflict:
    "Someone changed this a moment ago. The page now shows the latest; try again if it still applies.",
  too_large: "That is too large. Try a smaller file or a shorter text.",
  rate_limited: "That was a lot at once. Wait a few seconds and try again.",
  unavailable: "The service is busy or restarting. Try again in a moment.",
  internal: "Something went wrong on our side. Try again; if it keeps happening, tell the shop.",
  invalid_transition:
    "That step is no longer possible: the order moved on meanwhile. The page shows where it is now.",
  insufficient_stock: "Sorry — there is not enough left in stock for that.",
  network: "We cannot reach the shop right now. Check your connection; we'll keep trying.",
  pusher_app_from_env:
    "This app's key and secret come from the server's settings (SWITCHBOARD_PUSHER_APPS): change them there.",
  pusher_app_disabled: "This app is disabled. Enable it first.",
  pusher_unknown_app: "That app no longer exists. Reload the page to see the apps there are now.",
};

/** Field names in the words a person uses. */
const FIELDS: Record<string, string> = {
  sku: "SKU",
  onHand: "On hand",
  customerId: "Customer",
  title: "Title",
  subject: "Subject",
  text: "Message",
  delta: "Amount",
  sub: "User id",
  name: "Name",
  customerName: "Customer name",
  webhookUrls: "Webhook URLs",
  maxConnections: "Max connections",
};

export function friendlyError(
  code: string,
  details?: unknown,
  context?: { notFound?: string; conflict?: string },
): string {
  if (code === "not_found" && context?.notFound) return context.notFound;
  if (code === "conflict" && context?.conflict) return context.conflict;
  const base = SENTENCES[code] ?? SENTENCES.internal ?? "";
  if (code === "bad_request" && Array.isArray(details)) {
    const fields = details
      .map((d) => (d as { path?: string }).path?.split(".")[0])
      .filter((f): f is string => !!f)
      .map((f) => FIELDS[f] ?? f);
    if (fields.length)
      return `Please check ${[...new Set(fields)].join(", ")}: the value is not accepted.`;
  }
  return base;
}
