/** A refusal by the server (a non-2xx answer): the action did not happen and is not counted. */
export class Refused extends Error {}

export type Call = <T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  as?: string,
) => Promise<T>;

/** REST calls as the API key (default) or as a given token; a non-2xx answer throws Refused. */
export function caller(url: string, apiKey: string): Call {
  return async <T>(method: string, path: string, body?: unknown, as?: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${as ?? apiKey}`,
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Refused(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : {}) as T;
  };
}

/** Tokens minted once per subject (minting may be a round trip to the parent process). */
export function tokenCache(
  mint: (sub: string, role: "customer" | "agent") => Promise<string>,
): (sub: string, role: "customer" | "agent") => Promise<string> {
  const tokens = new Map<string, Promise<string>>();
  return (sub, role) => {
    const known = tokens.get(sub);
    if (known) return known;
    const made = mint(sub, role);
    tokens.set(sub, made);
    return made;
  };
}
