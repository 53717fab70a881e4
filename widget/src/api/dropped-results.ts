/** Results a drop or a paste names rather than carries: an image of ComfyUI's output, temp or input folder, named as
 * its `/view` route names it ({filename, subfolder, type}), so that the server adds it from its own folder and no
 * byte goes through the browser. In the order ComfyUI's own nodes read a drop:
 * - `application/x-comfy-asset-info`: JSON {filename, subfolder, type, …} (the Assets tab of 1.49 and 1.58);
 * - a same-origin `/view` or `/api/view` URL in `text/uri-list` (the Assets tab too; an `<img>` of 1.27's queue);
 * - the `src` of a same-origin `/view` image in `text/html` (an image dragged from a page of this origin).
 * Anything else, another origin above all, names nothing: no other URL is ever fetched. */

export interface ResultRef { filename: string; subfolder: string; type: "output" | "temp" | "input" }

export const ASSET_INFO = "application/x-comfy-asset-info";
const URI_TYPES = ["text/uri-list", "text/x-moz-url"];
const FOLDERS = new Set(["output", "temp", "input"]);

/** The part of DataTransfer this reads (a drop's dataTransfer, a paste's clipboardData). */
export interface TransferLike { types: readonly string[]; getData(type: string): string }

export function resultsOf(transfer: TransferLike | null | undefined, origin: string): ResultRef[] {
  if (!transfer) return [];
  const types = Array.from(transfer.types ?? []);
  if (types.includes(ASSET_INFO)) {
    const ref = fromAssetInfo(transfer.getData(ASSET_INFO));
    if (ref) return [ref];
  }
  const uriType = URI_TYPES.find((t) => types.includes(t));
  if (uriType) {
    const refs = transfer.getData(uriType).split(/\r?\n/).map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#")).map((line) => fromViewUrl(line, origin))
      .filter((ref): ref is ResultRef => ref !== null);
    if (refs.length) return refs;
  }
  if (types.includes("text/html")) {
    const ref = fromHtml(transfer.getData("text/html"), origin);
    if (ref) return [ref];
  }
  return [];
}

/** Whether a drag may name a result (its data is readable only on drop). */
export function mayNameResults(types: readonly string[] | undefined): boolean {
  const all = Array.from(types ?? []);
  return all.includes(ASSET_INFO) || URI_TYPES.some((t) => all.includes(t));
}

function checked(filename: unknown, subfolder: unknown, type: unknown): ResultRef | null {
  if (typeof filename !== "string" || !filename) return null;
  const kind = typeof type === "string" && type ? type : "output";
  if (!FOLDERS.has(kind)) return null;
  return { filename, subfolder: typeof subfolder === "string" ? subfolder : "", type: kind as ResultRef["type"] };
}

export function fromAssetInfo(json: string): ResultRef | null {
  try {
    const info = JSON.parse(json) as Record<string, unknown>;
    return info && typeof info === "object" ? checked(info.filename, info.subfolder, info.type) : null;
  } catch {
    return null;
  }
}

export function fromViewUrl(text: string, origin: string): ResultRef | null {
  let url: URL;
  try {
    url = new URL(text, origin);
  } catch {
    return null;
  }
  if (url.origin !== new URL(origin).origin || !/(^|\/)view$/.test(url.pathname)) return null;
  const q = url.searchParams;
  return checked(q.get("filename"), q.get("subfolder") ?? "", q.get("type") ?? "output");
}

function fromHtml(html: string, origin: string): ResultRef | null {
  const src = /<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(html);
  if (!src) return null;
  const raw = (src[1] ?? src[2]).replace(/&amp;/g, "&");
  return fromViewUrl(raw, origin);
}
