import { useEffect } from "react";

/**
 * The tab title: "(3) Inbox · Switchboard Console". The screen sets where you are, the staff
 * desk sets how many things wait for you; either changes the title at once.
 */
let place = "";
let site = "Switchboard";
let count = 0;
/** Other counts that join the main one (a customer's unread chat messages). */
const extra = new Map<string, number>();

function apply(): void {
  const n = count + [...extra.values()].reduce((a, b) => a + b, 0);
  document.title = `${n > 0 ? `(${n}) ` : ""}${place ? `${place} · ` : ""}${site}`;
}

/** A count that adds to the title's under its own name (0 removes it). */
export function setTitleExtra(name: string, n: number): void {
  if (n > 0) extra.set(name, n);
  else extra.delete(name);
  apply();
}

export function setSiteTitle(name: string): void {
  site = name;
  apply();
}
export function setPlaceTitle(name: string): void {
  place = name;
  apply();
}
export function setTitleCount(n: number): void {
  count = n;
  apply();
}

/** A screen names itself more precisely than its entry in SCREENS (a product, an order). */
export function usePageTitle(name: string | undefined): void {
  useEffect(() => {
    if (name) setPlaceTitle(name);
  }, [name]);
}
