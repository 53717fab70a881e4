"""Pictures: what a raster file is (formats), how it decodes as ComfyUI's LoadImage would (frames, host), masks, and
where full decodes run (decoding). The ground floor beside errors: nothing here knows of a store or a pool."""
