"""Figures under attack, against a real `python -m image_pool serve` on loopback (issue rows 5, 12 and 13): memory
for 30 thumbnail requests of one huge picture and a read meanwhile, memory for a body of 10,000 form fields, and
bytes on disk for many small uploads with long labels. python bench/run.py hostile"""

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
            thumbnails(table, url, process.pid)
            many_fields(table, url, process.pid)
            small_uploads(table, url, root)
    return table


if __name__ == "__main__":
    main().print()
