import { Switchboard, type SwitchboardOptions, type TokenProvider } from "@switchboard/client";
import { type ReactNode, useEffect, useMemo, useRef } from "react";
import { SwitchboardContext } from "./context.js";

export type SwitchboardProviderProps =
  | {
      /** A client you created. The provider connects it but never closes it. */
      client: Switchboard;
      children?: ReactNode;
    }
  | {
      url: string;
      /** A token, or a callback for a fresh one. May change between renders. */
      token: TokenProvider;
      /** Everything else the client accepts (reconnect, queueLimit, …). */
      options?: Omit<SwitchboardOptions, "url" | "token">;
      children?: ReactNode;
    };

/**
 * Makes a client available to the hooks below it. Given `url` and `token`, it owns the client:
 * connects on mount and closes on unmount, gracefully — commands already issued are answered
 * first, within `options.closeTimeoutMs` (5 s by default; 0 cuts at once). A remount, as in
 * StrictMode, calls such a close off or connects again and recovers every channel. A new `url`
 * means a new client.
 */
export function SwitchboardProvider(props: SwitchboardProviderProps): ReactNode {
  const external = "client" in props ? props.client : undefined;
  const url = "url" in props ? props.url : undefined;
  const token = "token" in props ? props.token : undefined;
  // Read once, when the client is created (a new url creates a new one).
  const initial = useRef({ token, options: "options" in props ? props.options : undefined });

  // Constructing a client has no side effects (nothing happens before connect()), so creating
  // it during render is safe even when React throws a render away.
  const owned = useMemo(() => {
    const { token: first, options } = initial.current;
    if (external || url === undefined || first === undefined) return undefined;
    return new Switchboard({ ...options, url, token: first });
  }, [external, url]);

  useEffect(() => {
    // A new token (or callback) is used from the next connect or refresh on.
    if (owned && token !== undefined) owned.setToken(token);
  }, [owned, token]);
  const client = external ?? owned;
  if (!client) throw new Error("SwitchboardProvider: pass either `client` or `url` and `token`");

  useEffect(() => {
    client.connect();
    return () => {
      if (client === owned) void client.close();
    };
  }, [client, owned]);

  return <SwitchboardContext.Provider value={client}>{props.children}</SwitchboardContext.Provider>;
}
