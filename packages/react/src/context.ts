import type { Switchboard } from "@switchboard/client";
import { createContext, useContext } from "react";

export const SwitchboardContext = createContext<Switchboard | null>(null);

/** The client of the nearest `SwitchboardProvider`. */
export function useSwitchboard(): Switchboard {
  const client = useContext(SwitchboardContext);
  if (!client) throw new Error("useSwitchboard: wrap your components in <SwitchboardProvider>");
  return client;
}
