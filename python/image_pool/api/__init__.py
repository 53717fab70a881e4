"""The HTTP API, mounted on ComfyUI's server or served alone (server): the routes, the guard every route applies
(guard), request bodies and fields (http_json, requests, uploads), files of ComfyUI's folders (input_files),
thumbnails and MaskEditor copies, and the page's own files (web_assets)."""
