import type { ErrorBody } from "@switchboard/protocol";
import { friendlyError } from "./errors.js";

/** REST calls with the signed-in user's token; errors carry the server's code and details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export async function api<T>(
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch {
    // "Failed to fetch": the network, not the request
    throw new ApiError(0, "network", "network error");
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    // a proxy's HTML error page, not ours
    json = undefined;
  }
  if (!res.ok) {
    const e = (json ?? {}) as Partial<ErrorBody>;
    throw new ApiError(res.status, e.code ?? "internal", e.message ?? res.statusText, e.details);
  }
  return json as T;
}

/** What to show a person for a failed call: plain words and a next step (see errors.ts). */
export function errorText(
  error: unknown,
  context?: { notFound?: string; conflict?: string },
): string {
  if (error instanceof ApiError) return friendlyError(error.code, error.details, context);
  return friendlyError("internal");
}
