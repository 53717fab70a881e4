/** What a drop brings, folders included: a dropped folder gives every accepted image in it and its subfolders, in
 * name order (by path), and counts the other files it held as skipped. Files dropped as they are pass through (the
 * pool refuses what is not an image, with its own message). */

import { isAcceptedImage } from "./accepted.js";

/** The parts of the File and Directory Entries API a drop gives (`DataTransferItem.webkitGetAsEntry()`). */
export interface DroppedEntry {
  isFile: boolean;
  isDirectory: boolean;
  name: string;
  fullPath?: string;
  file?(success: (file: File) => void, failure?: (error: unknown) => void): void;
  createReader?(): { readEntries(success: (entries: DroppedEntry[]) => void, failure?: (error: unknown) => void): void };
}

export interface DroppedFiles {
  files: File[];
  skipped: number;  // files inside dropped folders that are not accepted images
}

/** The entries of a drop, taken at once: the browser forgets them once the drop event has been handled. */
export function entriesOf(transfer: DataTransfer | null | undefined): { entries: DroppedEntry[]; files: File[] } {
  const entries: DroppedEntry[] = [];
  for (const item of Array.from(transfer?.items ?? [])) {
    const entry = item.kind === "file" ? (item.webkitGetAsEntry?.() as DroppedEntry | null) : null;
    if (entry) entries.push(entry);
  }
  return { entries, files: Array.from(transfer?.files ?? []) };
}

/** The files to add, from entries taken with entriesOf; without entries (no folder support), the plain files. */
export async function droppedFiles({ entries, files }: { entries: DroppedEntry[]; files: File[] }):
  Promise<DroppedFiles> {
  if (!entries.some((e) => e.isDirectory)) return { files, skipped: 0 };
  const out: File[] = [];
  let skipped = 0;
  for (const entry of entries) {
    if (entry.isFile) {
      out.push(await fileOf(entry));
      continue;
    }
    const found = await filesUnder(entry);
    found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const { file } of found) {
      if (isAcceptedImage(file)) out.push(file);
      else skipped++;
    }
  }
  return { files: out, skipped };
}

function fileOf(entry: DroppedEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file!(resolve, reject));
}

async function filesUnder(folder: DroppedEntry): Promise<{ path: string; file: File }[]> {
  const found: { path: string; file: File }[] = [];
  const pending: DroppedEntry[] = [folder];
  while (pending.length) {
    const reader = pending.pop()!.createReader!();
    for (;;) {  // readEntries answers in batches (100 in Chromium) until it answers none
      const batch = await new Promise<DroppedEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const entry of batch) {
        if (entry.isDirectory) pending.push(entry);
        else if (entry.isFile) found.push({ path: entry.fullPath ?? entry.name, file: await fileOf(entry) });
      }
    }
  }
  return found;
}
