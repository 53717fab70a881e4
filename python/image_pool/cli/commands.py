"""python -m image_pool: manage pools from a terminal. Every command takes --root; a pool is named by its id or its
exact name. Exit status: 0 done, 1 refused or failed, 2 the command line itself is wrong."""

import argparse
import json
import logging
import sys
from pathlib import Path

from tqdm import tqdm

from image_pool import __version__
from image_pool.errors import BadRequest, PoolError, UnknownPool, storage_error
from image_pool.node.root import DEFAULT_ROOT, ENV_ROOT, store_root
from image_pool.pools.pools import Pools
from image_pool.store import ids
from image_pool.store.in_comfyui import FORMER, STORE


def _root(args) -> Path:
    """The store's folder; a ComfyUI store's former name (now an empty file) leads to where it moved."""
    root = store_root(args.root)
    if root.name == FORMER and root.is_file() and (root.parent / STORE).is_dir():
        print(f"note: the store moved to {root.parent / STORE} (hidden from ComfyUI's asset list)", file=sys.stderr)
        return root.parent / STORE
    return root


def _pools(args) -> Pools:
    return Pools(_root(args))


def cmd_list(args) -> int:
    manifests = sorted(_pools(args).manifests(), key=lambda m: (not m.name, m.name.casefold(), m.name, m.pool_id))
    if args.json:
        print(json.dumps([{"pool_id": m.pool_id, "name": m.name, "count": m.count, "revision": m.revision}
                          for m in manifests], ensure_ascii=False))
    elif not manifests:
        print(f"no pools under {_root(args)}. A ComfyUI started with --input-directory DIR keeps its "
              f"pools in DIR/{STORE}: pass --root DIR/{STORE} (or set ${ENV_ROOT}) to see them")
    for m in manifests if not args.json else []:
        print(f"{m.pool_id}  {m.count:5d} slot(s)  revision {m.revision}" + (f"  {m.name!r}" if m.name else ""))
    return 0


def resolve(pools: Pools, pool: str) -> str:
    """The id of the pool `pool` names: its id, or its name, compared as names are stored (spaces around it, tabs
    and invisible characters do not count)."""
    if ids.is_pool_id(pool.lower()):
        return pool.lower()
    named = pools.named(pool)
    if len(named) > 1:
        raise BadRequest(f"{len(named)} pools are named {pool!r}: {', '.join(named)}; give the id of the one you "
                         f"mean")
    if named:
        return named[0]
    raise UnknownPool(f"no pool is named {pool!r} under {pools.root}, and it is not a pool id (a UUID); `list` shows both")


def _existing(pools: Pools, pool: str):
    """The manifest of the pool `pool` names; an error (exit 1) for a pool that is not there."""
    pool_id = resolve(pools, pool)
    if not pools.exists(pool_id):
        raise UnknownPool(f"no pool {pool_id} under {pools.root}")
    return pools.load(pool_id)


def _progress(args) -> bool:
    """Progress bars, unless --quiet; they show only where stderr is a terminal."""
    return not args.quiet


def _title(manifest) -> str:
    return f"pool {manifest.pool_id}" + (f" {manifest.name!r}" if manifest.name else "")


def cmd_show(args) -> int:
    manifest = _existing(_pools(args), args.pool)
    if args.json:
        print(json.dumps(manifest.to_json(), ensure_ascii=False, indent=1))
        return 0
    print(f"{_title(manifest)}  revision {manifest.revision}  {manifest.count} slot(s)")
    for i, slot in enumerate(manifest.slots):
        marks = ("*" if slot.id == manifest.active else " ") + ("M" if slot.mask else " ")
        print(f"{i:4d} {marks} {slot.id}  {slot.width}x{slot.height}  {slot.image[:12]}…  "
              f"{slot.name!r}  {slot.label!r}")
    return 0


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")


def expand_folders(paths: list[str]) -> tuple[list[str], int]:
    """Files as given, and for a folder every image file in it and its subfolders, in name order; how many other
    files the folders held (skipped)."""
    files, skipped = [], 0
    for path in paths:
        if not Path(path).is_dir():
            files.append(path)
            continue
        for found in sorted((p for p in Path(path).rglob("*") if p.is_file()), key=lambda p: p.relative_to(path).parts):
            if found.suffix.lower() in IMAGE_SUFFIXES:
                files.append(str(found))
            else:
                skipped += 1
    return files, skipped


def cmd_add(args) -> int:
    pools = _pools(args)
    args.files, skipped = expand_folders(args.files)
    if skipped:
        print(f"skipped {skipped} file(s) that are not PNG, JPEG, WebP, BMP, TIFF or GIF", file=sys.stderr)
    if not args.files:
        print("error: no image file to add", file=sys.stderr)
        return 1
    def bar(files):
        return tqdm(files, desc="add", unit="file", disable=None if len(files) > 1 and _progress(args) else True)
    with pools.adding_to(args.pool) as pool_id:
        manifest, new_ids = pools.add(pool_id, args.files, names=[Path(p).name for p in args.files], progress=bar,
                                      labels=[args.label] * len(args.files) if args.label else None)
    print(f"added {len(new_ids)} slot(s) to {_title(manifest)}; the pool has {manifest.count}")
    return 0


def cmd_name(args) -> int:
    pools = _pools(args)
    manifest = pools.set_name(resolve(pools, args.pool), args.name)
    print(f"{_title(manifest)}: named" if manifest.name else f"pool {manifest.pool_id} has no name")
    return 0


def cmd_delete(args) -> int:
    pools = _pools(args)
    manifest = _existing(pools, args.pool)
    what = f"{_title(manifest)} ({manifest.count} slot(s))"
    if not args.yes:
        if not sys.stdin.isatty():
            print(f"error: not deleting {what} without --yes", file=sys.stderr)
            return 1
        if input(f"delete {what}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("nothing deleted, as asked")
            return 0
    pools.delete(manifest.pool_id)
    print(f"deleted {what}; its objects are reclaimed by gc once nothing else references them")
    return 0


def cmd_export(args) -> int:
    from image_pool.pools.archive import export_pool
    pools = _pools(args)
    manifest = _existing(pools, args.pool)
    n = export_pool(pools, manifest.pool_id, Path(args.out), progress=_progress(args))
    print(f"exported {_title(manifest)} with {n} object(s) to {args.out}")
    return 0


def cmd_import(args) -> int:
    from image_pool.pools.archive import import_pool
    result = import_pool(_pools(args), Path(args.archive), new_id=args.new_id, progress=_progress(args))
    print(f"imported {_title(result.manifest)}: {result.manifest.count} slot(s), "
          f"{result.objects_added} new object(s)")
    return 0


def cmd_gc(args) -> int:
    from image_pool.pools.maintenance import gc
    report = gc(_pools(args), grace_days=args.grace, dry_run=args.dry_run, progress=_progress(args), wait=args.wait)
    verb = "would delete" if args.dry_run else "deleted"
    for key in report.deleted:
        print(f"{verb} {key}")
    print(f"{verb} {len(report.deleted)} object(s), {len(report.temp_files)} temp file(s), "
          f"{len(report.derived)} derived file(s); kept {report.kept_referenced} referenced and "
          f"{report.kept_young} younger than {args.grace:g} day(s)"
          + (f"; removed {len(report.deleted_pools)} deleted pool(s) left by a crash" if report.deleted_pools else "")
          + (f"; removed {len(report.stagings)} import staging folder(s) left by a crash" if report.stagings else "")
          + (f"; removed {len(report.locks)} lock file(s) of deleted pools" if report.locks else ""))
    return 0


def cmd_fsck(args) -> int:
    from image_pool.pools.maintenance import fsck
    report = fsck(_pools(args), progress=_progress(args))
    for problem in report.problems:
        print(problem)
    print(f"checked {report.objects} object(s) and {report.pools} pool(s): "
          + ("clean" if report.clean else f"{len(report.problems)} problem(s)"))
    return 0 if report.clean else 1


def cmd_serve(args) -> int:
    from image_pool.api.server import serve
    serve(_root(args), host=args.host, port=args.port,
          input_dir=Path(args.input_dir) if args.input_dir else None, allow_hosts=args.allow_host,
          client_timeout=args.client_timeout, verbose=args.verbose)
    return 0


def build_parser() -> argparse.ArgumentParser:
    # --root and --quiet may stand before or after the command; SUPPRESS keeps a subcommand's
    # absent option from overwriting the value given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=argparse.SUPPRESS,
                        help=f"the store folder (default: ${ENV_ROOT} or ./{DEFAULT_ROOT})")
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help="no progress bars")
    parser = argparse.ArgumentParser(prog="image-pool", parents=[common],
                                     description="Image Pool: pools of images with their masks and labels.")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help_text):
        p = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    pool_help = "the pool: its id (a UUID) or its exact name (`list` shows both)"
    json_help = "print JSON instead of text"
    p = command("list", cmd_list, "list the pools in the store")
    p.add_argument("--json", action="store_true", help=json_help)
    p = command("show", cmd_show, "show one pool's slots (* active, M has a mask)")
    p.add_argument("pool", help=pool_help)
    p.add_argument("--json", action="store_true", help=json_help + " (the pool's manifest)")
    p = command("add", cmd_add, "add image files to a pool (made if new) as new slots")
    p.add_argument("pool", help=pool_help + "; a name no pool has, or a new UUID, makes a new pool")
    p.add_argument("files", nargs="+", help="image files (PNG, JPEG, WebP, BMP, TIFF, GIF), added in this order; a "
                                            "folder adds the images in it and its subfolders, in name order")
    p.add_argument("--label", default="", help="label for every added slot")
    p = command("name", cmd_name, "name a pool (made if new); an empty name removes it")
    p.add_argument("pool", help=pool_help)
    p.add_argument("name", help="the new name: plain text, at most 200 characters")
    p = command("delete", cmd_delete, "delete a pool (its objects are reclaimed by a later gc)")
    p.add_argument("pool", help=pool_help)
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    p = command("export", cmd_export, "write a pool and its objects to one tar archive")
    p.add_argument("pool", help=pool_help)
    p.add_argument("out", help="the archive file to write (e.g. pool.tar); it is replaced only once complete")
    p = command("import", cmd_import, "read a pool archive made by export (verified before anything is written)")
    p.add_argument("archive", help="an archive written by `export`")
    p.add_argument("--new-id", action="store_true", help="give the imported pool a new id")
    p = command("gc", cmd_gc, "delete objects no pool or kept generation references")
    p.add_argument("--grace", type=float, default=14.0, metavar="DAYS",
                   help="keep unreferenced objects younger than this (default 14)")
    p.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    p.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                   help="how long to wait for adds in progress before giving up (default 60)")
    command("fsck", cmd_fsck, "re-hash every object and check every pool's references")
    p = command("serve", cmd_serve, "run the pool manager page and the HTTP API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    p.add_argument("--input-dir", help="a folder whose files JSON add/set_mask requests may name "
                                       "(ComfyUI's input folder, when managing its pools)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="also answer requests for this Host name (loopback names and --host are always served); "
                        "repeat for more")
    p.add_argument("--client-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="drop a client that sends nothing for this long (default 30)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return parser


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    args.root = getattr(args, "root", None)
    args.quiet = getattr(args, "quiet", False)
    try:
        return args.func(args)
    except PoolError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 1
    except OSError as e:
        known = storage_error(e)
        print(f"error: {known.message if known else e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 1
