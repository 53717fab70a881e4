"""An HTTP proxy on loopback that sends every request, whatever host it names, to one port on 127.0.0.1: so that a
browser can open "http://192.168.50.7:<port>/" (a LAN address, as a user types it; the page's Host and Origin say
so) while nothing leaves this machine. Plain requests are passed on as they come (in absolute form, which aiohttp
takes); CONNECT (how Chromium sends a WebSocket through a proxy) becomes a tunnel to the same port."""

import asyncio
import threading
from contextlib import contextmanager

from .comfyui_support import free_port


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


def _handler(target_port: int):
    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        head = await client_reader.readuntil(b"\r\n\r\n")
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
        if head.startswith(b"CONNECT "):
            client_writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await client_writer.drain()
        else:
            upstream_writer.write(head)
        await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))
    return handle


@contextmanager
def loopback_proxy(target_port: int):
    """The proxy's port, while the block runs."""
    port = free_port()
    loop = asyncio.new_event_loop()
    started, stop = threading.Event(), asyncio.Event()

    async def serve():
        server = await asyncio.start_server(_handler(target_port), "127.0.0.1", port)
        started.set()
        await stop.wait()
        server.close()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:  # the open tunnels
            task.cancel()
        await asyncio.gather(*(asyncio.all_tasks() - {asyncio.current_task()}), return_exceptions=True)
    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert started.wait(30), "the loopback proxy did not start"
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()
