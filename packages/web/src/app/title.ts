import { useEffect } from "react";

/**
 * The tab title: "(3) Inbox · Switchboard Console". The screen sets where you are, the staff
 * desk sets how many things wait for you; either changes the title at once.
 */
let place = "";
let site = "Switchboard";
let count = 0;

function apply(): void {
  document.title = `${count > 0 ? `(${count}) ` : ""}${place ? `${place} · ` : ""}${site}`;
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
