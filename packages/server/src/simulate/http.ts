import http from "node:http";
import https from "node:https";

/** A refusal by the server (a non-2xx answer): the action did not happen and is not counted. */
export class Refused extends Error {}

export type Call = <T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  as?: string,
) => Promise<T>;

/**
 * Sockets a simulator process keeps to the server. Beyond them requests wait here, as a browser's
 * connection pool makes them wait. Without a bound, fetch opened a new connection for every
 * request in flight: a slowed server then faced hundreds of connects at once, its accept queue
 * overflowed (TcpExtListenOverflows), and actions failed with connect timeouts — a load
 * generator's artefact, not the server refusing work.
 */
export const SOCKETS_PER_PROCESS = 64;
/** A request with no answer this long fails (the server is stuck, not slow). */
const ANSWER_TIMEOUT_MS = 60_000;

/** REST calls as the API key (default) or as a given token; a non-2xx answer throws Refused. */
export function caller(url: string, apiKey: string): Call {
  const base = new URL(url);
  const transport = base.protocol === "https:" ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: SOCKETS_PER_PROCESS });
  return <T>(method: string, path: string, body?: unknown, as?: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = transport.request(
        new URL(path, base),
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${as ?? apiKey}`,
            ...(payload !== undefined && {
              "content-type": "application/json",
              "content-length": Buffer.byteLength(payload),
            }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString();
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 299)
              reject(new Refused(`${method} ${path}: ${status} ${text.slice(0, 200)}`));
            else {
              try {
                resolve((text ? JSON.parse(text) : {}) as T);
              } catch (e) {
                reject(e);
              }
            }
          });
        },
      );
      req.setTimeout(ANSWER_TIMEOUT_MS, () =>
        req.destroy(new Error(`no answer in ${ANSWER_TIMEOUT_MS} ms`)),
      );
      req.on("error", reject);
      req.end(payload);
    });
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
