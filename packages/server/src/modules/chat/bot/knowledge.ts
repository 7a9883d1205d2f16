import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fromModule } from "../../../paths.js";
import { Bm25Index } from "./bm25.js";

export interface Passage {
  /** The section heading (or the file's title). */
  title: string;
  file: string;
  text: string;
}

/** The demo knowledge shipped with the server (a repair shop's FAQ), used when no folder is configured. */
export const DEFAULT_KNOWLEDGE_DIR = fromModule("../../../../knowledge", import.meta.url);

/** Splits Markdown into passages at `##` headings; each keeps its heading as a title. */
export function splitMarkdown(file: string, markdown: string): Passage[] {
  const passages: Passage[] = [];
  let title = basename(file, ".md");
  let lines: string[] = [];
  const flush = () => {
    const text = lines.join("\n").trim();
    if (text) passages.push({ title, file, text });
    lines = [];
  };
  for (const line of markdown.split(/\r?\n/)) {
    const heading = /^#{1,3}\s+(.+)$/.exec(line);
    if (heading?.[1]) {
      flush();
      title = heading[1].trim();
    } else lines.push(line);
  }
  flush();
  return passages;
}

export function loadKnowledge(dir: string): Bm25Index<Passage> {
  const passages: Passage[] = [];
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .sort()) {
    passages.push(...splitMarkdown(name, readFileSync(join(dir, name), "utf8")));
  }
  return new Bm25Index(passages, (p) => `${p.title} ${p.title} ${p.text}`);
}
