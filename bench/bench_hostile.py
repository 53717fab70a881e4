"""Figures under attack, against a real `python -m image_pool serve` on loopback: memory and disk for strangers'
archives (a PAX header claiming 1 GiB, four at once; a manifest of millions of empty values; a few KB of xz that
would expand to 600 MB of pictures), memory for 30 thumbnail requests of one huge picture and a read meanwhile,
memory for a body of 10,000 form fields, and bytes on disk for many small uploads with long labels. The archive rows
run first: peak RSS is a high-water mark. python bench/run.py hostile"""

import json
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "python"), str(PROJECT)]

from bench.timing import Table, fmt_time  # noqa: E402
from tests import imagegen  # noqa: E402
from tests.server_process import running_server  # noqa: E402
from tests.test_thumb_load import big_rgba_png, status_kb, vm_peak_kb  # noqa: E402

BOUNDARY = "b0undary"


def multipart(fields, files) -> bytes:
    body = b""
    for name, value in fields:
        body += f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode()
    for name, data in files:
        body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
                 ).encode() + data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def post(url: str, body: bytes, content_type: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def import_archive(url: str, path: Path) -> tuple[int, dict]:
    boundary = "arch1ve"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"archive\"; filename=\"a.tar\"\r\n\r\n"
            ).encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return post(f"{url}/grid_pool/import", body, f"multipart/form-data; boundary={boundary}")


def store_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def archives(table: Table, url: str, pid: int, root: Path, folder: Path) -> None:
    from image_pool.pools.archive import export_pool, max_manifest_bytes
    from image_pool.pools.pools import Pools
    from image_pool.store import ids
    from tests.archive_helpers import black_bmp
    from tests.test_archive_bounds import gzip_stream, raw_header

    def attack(name: str, paths: list[Path]) -> None:
        before_peak, before_disk = vm_peak_kb(pid), store_bytes(root)
        with ThreadPoolExecutor(len(paths)) as senders:
            answers = list(senders.map(lambda p: import_archive(url, p), paths))
        codes = sorted({f"{status} {body['error']['code'] if status != 200 else 'imported'}"
                        for status, body in answers})
        table.value(name, f"{', '.join(codes)}; {sum(p.stat().st_size for p in paths) / 1e6:.2f} MB sent; peak RSS "
                    f"+{(vm_peak_kb(pid) - before_peak) / 1024:.0f} MB; store +{(store_bytes(root) - before_disk) / 1e6:.1f} MB")

    pax = folder / "pax.tar.gz"
    gzip_stream(pax, raw_header("././@PaxHeader", 1 << 30, b"x"), 1 << 30)
    attack("import: a PAX header claiming 1 GiB (gzip)", [pax])
    attack("import: the same, four at once", [pax] * 4)

    cap = max_manifest_bytes(10_000)
    head = b'{"format": 1, "pool_id": "5b0c0c1e-4444-4444-8444-444444444444", "revision": 1, "slots": ['
    count = (cap - len(head) - 2) // 3
    manifest = head + b"{}," * (count - 1) + b"{}]}"
    values = folder / "values.tar.gz"
    gzip_stream(values, raw_header("manifest.json", len(manifest), b"0"), manifest, bytes(-len(manifest) % 512),
                bytes(1024))
    attack(f"import: a {len(manifest) / 1e6:.0f} MB manifest of {count / 1e6:.0f} million empty objects (gzip)",
           [values])

    source = Pools(folder / "bmp-source")
    pool_id = ids.new_pool_id()
    source.add(pool_id, [black_bmp(5773, seed) for seed in range(6)])
    plain = folder / "bmps.tar"
    export_pool(source, pool_id, plain)
    packed = folder / "bmps.tar.xz"
    import lzma
    with open(plain, "rb") as src, lzma.open(packed, "wb", preset=1) as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)
    plain.unlink()
    attack(f"import: {packed.stat().st_size / 1e3:.0f} KB of xz holding six 100 MB BMPs", [packed])


def thumbnails(table: Table, url: str, pid: int) -> None:
    pool = str(uuid.uuid4())
    side = 9400
    _, manifest = post(f"{url}/grid_pool/add", multipart([("pool_id", pool)], [("big.png", big_rgba_png(side))]),
                       f"multipart/form-data; boundary={BOUNDARY}")
    key = manifest["slots"][0]["image"]
    before, started, listing = vm_peak_kb(pid), time.monotonic(), []

    def ask(_):
        with urllib.request.urlopen(f"{url}/grid_pool/thumb/{key}?size=256", timeout=300) as response:
            return response.status

    def list_pools():
        time.sleep(0.2)  # while the render runs
        start = time.monotonic()
        urllib.request.urlopen(f"{url}/grid_pool/pools", timeout=300).read()
        listing.append(time.monotonic() - start)
    reader = threading.Thread(target=list_pools)
    reader.start()
    with ThreadPoolExecutor(30) as pool_of_askers:
        statuses = set(pool_of_askers.map(ask, range(30)))
    reader.join()
    table.value(f"30 thumbnail requests at once, one {side}x{side} RGBA PNG",
                f"{statuses}, {time.monotonic() - started:.1f} s, peak RSS +{(vm_peak_kb(pid) - before) / 1024:.0f} MB "
                f"(decoded picture {side * side * 4 / 2**20:.0f} MB), RSS after {status_kb(pid, 'VmRSS') / 1024:.0f} MB; "
                f"GET /pools meanwhile {fmt_time(listing[0])}")


def many_fields(table: Table, url: str, pid: int) -> None:
    before = vm_peak_kb(pid)
    host, port = url.split("//", 1)[1].split(":")
    connection = socket.create_connection((host, int(port)))
    connection.sendall(f"POST /grid_pool/add HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; "
                       f"boundary=b\r\nContent-Length: {10_000 * 60_100}\r\n\r\n".encode())
    sent = 0
    try:
        for i in range(10_000):
            connection.sendall(f"--b\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\n".encode()
                               + b"x" * 60_000 + b"\r\n")
            sent += 60_050
    except OSError:
        pass
    connection.settimeout(10)
    try:
        answer = connection.recv(4096).split(b"\r\n", 1)[0].decode()
    except OSError:
        answer = "(closed)"
    connection.close()
    table.value("one request of 10,000 form fields of 60 KB", f"{answer}; {sent / 1e6:.0f} MB accepted by the socket; "
                f"peak RSS +{(vm_peak_kb(pid) - before) / 1024:.0f} MB")


def small_uploads(table: Table, url: str, root: Path) -> None:
    pool, sent, refused = str(uuid.uuid4()), 0, 0
    for upload in range(60):
        body = multipart([("pool_id", pool), ("label", "L" * 1000)],
                         [(f"{upload}-{i}.png", imagegen.png(1, 1, seed=upload * 1000 + i)) for i in range(256)])
        status, _ = post(f"{url}/grid_pool/add", body, f"multipart/form-data; boundary={BOUNDARY}")
        sent += len(body)
        refused += status != 200
    on_disk = sum(p.stat().st_size for p in (root / "pools" / pool).rglob("*") if p.is_file())
    manifest = json.load(urllib.request.urlopen(f"{url}/grid_pool/list?pool_id={pool}"))
    times = []
    for _ in range(5):
        start = time.monotonic()
        post(f"{url}/grid_pool/active", json.dumps({"pool_id": pool, "slot": manifest["slots"][5]["id"]}).encode(),
             "application/json")
        times.append(time.monotonic() - start)
    table.value("60 uploads of 256 x 1x1 PNG with 1,000-char labels",
                f"{refused} refused at the slot cap ({len(manifest['slots']):,} slots); {sent / 1e6:.1f} MB sent, "
                f"{on_disk / 1e6:.1f} MB on disk; POST /active median {fmt_time(sorted(times)[2])}")


def main() -> Table:
    table = Table("Hostile load against the standalone server", "python bench/run.py hostile")
    with tempfile.TemporaryDirectory(prefix="image-pool-hostile-") as tmp:
        root = Path(tmp) / "store"
        with running_server(root) as (url, process, _):
            archives(table, url, process.pid, root, Path(tmp))
            thumbnails(table, url, process.pid)
            many_fields(table, url, process.pid)
            small_uploads(table, url, root)
    return table


if __name__ == "__main__":
    main().print()
