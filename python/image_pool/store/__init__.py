"""The object store: pictures kept once under their BLAKE3 key (objects), the ids that may name a file (ids), writes
that are whole or absent (atomic, staging), the cross-process locks (lock), and the store's place inside ComfyUI
(in_comfyui). It validates pictures and knows nothing of pools."""
