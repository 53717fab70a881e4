"""The ComfyUI nodes (grid, image_list, add; mappings names them for ComfyUI), the tensors they output (imaging, the
only place torch is imported, and decoded_cache), and the store this process uses (root)."""
