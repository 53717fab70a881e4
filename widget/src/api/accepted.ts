/** Which files the pool accepts, on the client: the raster formats the server stores (python/image_pool/formats.py
 * decides for good, by content). The only place in the browser code that names them. */

export const ACCEPTED_TYPES = ["image/png", "image/jpeg", "image/webp", "image/bmp", "image/tiff", "image/gif"];

/** For <input type=file accept=...>. */
export const ACCEPT_ATTRIBUTE = ACCEPTED_TYPES.join(",");

/** For messages. */
export const ACCEPTED_NAMES = "PNG, JPEG, WebP, BMP, TIFF, GIF";

export function isAcceptedImage(file: { type: string }): boolean {
  return ACCEPTED_TYPES.includes(file.type);
}

export function splitImages<T extends { type: string }>(files: readonly T[]): { images: T[]; refused: T[] } {
  return { images: files.filter(isAcceptedImage), refused: files.filter((f) => !isAcceptedImage(f)) };
}
