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
 * connects on mount and closes on unmount (a remount, as in StrictMode, connects again and
 * recovers every channel). A new `url` means a new client.
 */
export function SwitchboardProvider(props: SwitchboardProviderProps): ReactNode {
  const external = "client" in props ? props.client : undefined;
  const url = "url" in props ? props.url : undefined;
  const tokenRef = useRef<TokenProvider | undefined>("token" in props ? props.token : undefined);
  const optionsRef = useRef("options" in props ? props.options : undefined);
  useEffect(() => {
    if ("token" in props) tokenRef.current = props.token;
  });

  // Constructing a client has no side effects (nothing happens before connect()), so creating
  // it during render is safe even when React throws a render away.
  const owned = useMemo(() => {
    if (external || url === undefined) return undefined;
    return new Switchboard({
      ...optionsRef.current,
      url,
      // Read through the ref so a new token prop is used at the next (re)connect or refresh.
      token: () => {
        const token = tokenRef.current;
        if (token === undefined) throw new Error("SwitchboardProvider: no token");
        return typeof token === "function" ? token() : token;
      },
    });
  }, [external, url]);
  const client = external ?? owned;
  if (!client) throw new Error("SwitchboardProvider: pass either `client` or `url` and `token`");

  useEffect(() => {
    client.connect();
    return () => {
      if (client === owned) client.close();
    };
  }, [client, owned]);

  return <SwitchboardContext.Provider value={client}>{props.children}</SwitchboardContext.Provider>;
}
