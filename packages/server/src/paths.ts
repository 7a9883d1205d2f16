import { fileURLToPath } from "node:url";

/**
 * A path relative to a module. Under some test environments (jsdom) `import.meta.url` is not a
 * file: URL; its pathname is still the file's path.
 */
export function fromModule(relative: string, metaUrl: string): string {
  const url = new URL(relative, metaUrl);
  return url.protocol === "file:" ? fileURLToPath(url) : decodeURIComponent(url.pathname);
}
