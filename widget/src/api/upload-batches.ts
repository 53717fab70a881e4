/** How <image-pool> groups files into upload requests. Pure functions. */

/** Files per request and bytes per request: well under the server's 256 files per request, and small enough that
 * one slow or refused batch costs little. */
export const UPLOAD_BATCH_FILES = 64;
export const UPLOAD_BATCH_BYTES = 64 * 1024 * 1024;

/** `uploads` in order, cut into batches of at most `maxFiles` files and `maxBytes` bytes (a larger file goes
 * alone). */
export function uploadBatches<T extends { file: { size: number } }>(uploads: readonly T[],
  maxFiles = UPLOAD_BATCH_FILES, maxBytes = UPLOAD_BATCH_BYTES): T[][] {
  const batches: T[][] = [];
  let bytes = 0;
  for (const upload of uploads) {
    const last = batches[batches.length - 1];
    if (last && last.length < maxFiles && bytes + upload.file.size <= maxBytes) {
      last.push(upload);
      bytes += upload.file.size;
    } else {
      batches.push([upload]);
      bytes = upload.file.size;
    }
  }
  return batches;
}

/** Bytes of each file sent, when `sent` bytes of their concatenation have gone. */
export function perFileProgress(sizes: readonly number[], sent: number): number[] {
  let start = 0;
  return sizes.map((size) => {
    const loaded = Math.max(0, Math.min(size, sent - start));
    start += size;
    return loaded;
  });
}
