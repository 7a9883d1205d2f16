import type { Lifecycle } from "@switchboard/server/contracts/orders";
import { useEffect, useState } from "react";
import { api } from "./api.js";

let cache: Promise<Lifecycle[]> | undefined;

/** The lifecycles (states, labels, progress) — loaded once per page load. */
export function useLifecycles(): Lifecycle[] {
  const [lifecycles, setLifecycles] = useState<Lifecycle[]>([]);
  useEffect(() => {
    cache ??= api<{ lifecycles: Lifecycle[] }>(null, "GET", "/api/lifecycles").then(
      (r) => r.lifecycles,
    );
    void cache.then(setLifecycles, () => {
      cache = undefined;
    });
  }, []);
  return lifecycles;
}
