"""Pools over the store: manifests and their history (manifest, parsed_manifests), every change through one path
(pools), results added as one change (results), who hears of a change (changes), gc and fsck (maintenance), and pool
archives (archive, tar_stream)."""
