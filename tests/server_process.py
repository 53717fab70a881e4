"""Start `python -m image_pool serve` as a real process on a free port, and stop it."""

import os
import signal
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


@contextmanager
def running_server(root, *extra, python: str = sys.executable, python_prefix: str = "", cwd=None,
                   pythonpath: str | None = str(PROJECT / "python")):
    """Yields (base_url, process, log_path). The server prints its address once it is listening: that line is the
    readiness signal. Its log goes to a file (a pipe nobody reads would fill up and block the server).
    `python_prefix` is Python run before the server starts in its process (to block an import, say)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    log_path = Path(tempfile.mkstemp(prefix="image-pool-server-", suffix=".log")[1])
    command = [python, "-c", python_prefix + "import sys, runpy; sys.argv[0] = 'image_pool'; "
               "runpy.run_module('image_pool', run_name='__main__')"]
    with open(log_path, "w") as log:
        process = subprocess.Popen([*command, "serve", "--root", str(root), "--port", "0", *extra],
                                   stdout=subprocess.PIPE, stderr=log, env=env, text=True, cwd=cwd)
    try:
        line = process.stdout.readline()
        assert "serving" in line, f"server did not start: {line!r} {log_path.read_text()}"
        url = line.split(" at ", 1)[1].split()[0].rstrip("/")
        yield url, process, log_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        log_path.unlink(missing_ok=True)
