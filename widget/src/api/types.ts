/** The shapes the HTTP API answers with (the manifest as python/image_pool/manifest.py writes it; docs/architecture.md). */

export interface Slot {
  id: string;
  image: string;
  mask: string | null;
  label: string;
  name: string;
  width: number;
  height: number;
  added: number;
}

export interface Manifest {
  format: 1;
  pool_id: string;
  /** What the user calls the pool; may be empty. */
  name: string;
  revision: number;
  active: string | null;
  slots: Slot[];
  /** Only on the answer to an add: the new slot ids, in file order. */
  added?: string[];
}

export interface PoolSummary {
  pool_id: string;
  name: string;
  count: number;
  revision: number;
  cover: string | null;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}

export function emptyManifest(poolId: string): Manifest {
  return { format: 1, pool_id: poolId, name: "", revision: 0, active: null, slots: [] };
}
