import type { Page } from "playwright-core";

export interface ContrastFailure {
  text: string;
  ratio: number;
  needed: number;
  color: string;
  background: string;
}

/**
 * WCAG 1.4.3 on what is on screen: the contrast of every visible text against the background
 * it is painted on (the first opaque background among its ancestors; text over an image or a
 * gradient is skipped, disabled controls are exempt). Large text (24px, or 18.66px bold) needs
 * 3:1, the rest 4.5:1.
 */
export function contrastFailures(page: Page): Promise<ContrastFailure[]> {
  return page.evaluate(() => {
    const parse = (c: string): [number, number, number, number] | null => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m?.[1]) return null;
      const [r = 0, g = 0, b = 0, a = 1] = m[1]
        .split(/[ ,/]+/)
        .filter(Boolean)
        .map(Number);
      return [r, g, b, a];
    };
    const lum = ([r, g, b]: number[]) => {
      const ch = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * ch(r ?? 0) + 0.7152 * ch(g ?? 0) + 0.0722 * ch(b ?? 0);
    };
    const backgroundOf = (el: Element | null): number[] | "image" => {
      for (let e = el; e; e = e.parentElement) {
        const style = getComputedStyle(e);
        if (style.backgroundImage !== "none") return "image";
        const bg = parse(style.backgroundColor);
        if (bg && bg[3] >= 0.99) return bg;
      }
      return [255, 255, 255, 1];
    };
    const failures: {
      text: string;
      ratio: number;
      needed: number;
      color: string;
      background: string;
    }[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || seen.has(el) || !n.textContent?.trim()) continue;
      seen.add(el);
      const rect = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (rect.width === 0 || rect.height === 0 || style.visibility === "hidden") continue;
      if (rect.bottom < 0 || rect.top > innerHeight || style.clip === "rect(0px, 0px, 0px, 0px)")
        continue;
      if (el.closest("[disabled], [aria-disabled=true], .sr-only")) continue;
      const fg = parse(style.color);
      const bg = backgroundOf(el);
      if (!fg || bg === "image") continue;
      // a translucent text color is blended over its background
      const a = fg[3];
      const blended = [0, 1, 2].map((i) => (fg[i] ?? 0) * a + (bg[i] ?? 0) * (1 - a));
      const [l1, l2] = [lum(blended), lum(bg)].sort((x, y) => y - x) as [number, number];
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = Number.parseFloat(style.fontSize);
      const bold = Number(style.fontWeight) >= 700;
      const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      if (ratio < needed) {
        failures.push({
          text: (n.textContent ?? "").trim().slice(0, 40),
          ratio: Math.round(ratio * 100) / 100,
          needed,
          color: style.color,
          background: `rgb(${bg.slice(0, 3).join(", ")})`,
        });
      }
    }
    return failures;
  });
}

/** Form fields without a label and buttons or links without a name, by their HTML. */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const unnamed: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>(
      "input, select, textarea, button, a[href]",
    );
    for (const el of Array.from(controls)) {
      if (el instanceof HTMLInputElement && el.type === "hidden") continue;
      const labelled =
        el.getAttribute("aria-label")?.trim() ||
        el.getAttribute("aria-labelledby") ||
        ("labels" in el && (el as HTMLInputElement).labels?.length) ||
        (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement) &&
          !(el instanceof HTMLTextAreaElement) &&
          el.textContent?.trim()) ||
        el.getAttribute("title")?.trim();
      if (!labelled) unnamed.push(el.outerHTML.slice(0, 120));
    }
    return unnamed;
  });
}

/** What has the keyboard focus, in words: its accessible-ish name. */
export function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return "(body)";
    return (
      el.getAttribute("aria-label") ??
      ((el as HTMLInputElement).labels?.[0]?.textContent?.trim() || el.textContent?.trim()) ??
      el.tagName
    );
  });
}
