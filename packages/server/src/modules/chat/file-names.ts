/** The extensions a type may carry; the first is the one given to a name that has none of them. */
const EXTENSIONS: Record<string, string[]> = {
  "image/jpeg": ["jpg", "jpeg"],
  "image/png": ["png"],
  "image/gif": ["gif"],
  "image/webp": ["webp"],
  "image/avif": ["avif"],
  "image/heic": ["heic"],
  "application/pdf": ["pdf"],
  "text/plain": ["txt", "text", "log"],
  "application/zip": ["zip"],
  "audio/mpeg": ["mp3"],
  "video/mp4": ["mp4"],
};

function extensionsOf(mime: string): string[] {
  const known = EXTENSIONS[mime];
  if (known) return known;
  const subtype = mime.split("/")[1] ?? "";
  return [/^[a-z0-9]{1,8}$/.test(subtype) ? subtype : "bin"];
}

/**
 * A file name whose extension agrees with the type detected from the bytes: `invoice.html` that
 * is plain text becomes `invoice.txt`, `photo` that is a PNG becomes `photo.png`. A browser or an
 * operating system that goes by the extension then opens it as what it really is.
 */
export function nameForType(name: string, mime: string): string {
  const allowed = extensionsOf(mime);
  const dot = name.lastIndexOf(".");
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  if (allowed.includes(ext)) return name;
  const stem = dot > 0 && /^[A-Za-z0-9]{1,10}$/.test(ext) ? name.slice(0, dot) : name;
  return `${stem || "file"}.${allowed[0]}`;
}
