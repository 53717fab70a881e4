"""Request bodies are read whole up to their cap, however they arrive; multipart text fields are few and short."""

import asyncio
import json

import aiohttp

from image_pool.api.uploads import MAX_FIELD_BYTES, MAX_FIELDS

from . import imagegen
from .http_helpers import add, client, error_of, form, input_dir  # noqa: F401  (fixtures)


async def in_pieces(data: bytes, pieces: int):
    step = -(-len(data) // pieces)
    for i in range(0, len(data), step):
        yield data[i:i + step]
        await asyncio.sleep(0)  # let the client flush each piece as its own write


async def test_json_body_sent_in_several_writes_is_read_whole(client, pool_id):
    body = await add(client, pool_id, imagegen.png(seed=1))
    slot = body["added"][0]
    raw = json.dumps({"pool_id": pool_id, "slot": slot, "label": "two segments"}).encode()
    assert len(raw) < 200
    response = await client.post("/grid_pool/label", data=in_pieces(raw, 2),
                                 headers={"Content-Type": "application/json"})
    assert response.status == 200, await response.text()
    assert (await response.json())["slots"][0]["label"] == "two segments"


async def test_json_body_of_900_kb_is_accepted(client, pool_id):
    body = await add(client, pool_id, imagegen.png(seed=1))
    raw = json.dumps({"pool_id": pool_id, "slot": body["added"][0], "label": "big body",
                      "padding": "x" * 900_000}).encode()
    response = await client.post("/grid_pool/label", data=in_pieces(raw, 40),
                                 headers={"Content-Type": "application/json"})
    assert response.status == 200, await response.text()
    assert (await response.json())["slots"][0]["label"] == "big body"


async def test_too_many_text_fields_are_refused_naming_the_cap(client, pool_id):
    data = form(pool_id, [("a.png", imagegen.png())], **{f"f{i}": "x" * 1000 for i in range(MAX_FIELDS + 5)})
    response = await client.post("/grid_pool/add", data=data)
    assert await error_of(response, 400) == "bad_request"
    assert f"at most {MAX_FIELDS} text fields" in (await response.json())["error"]["message"]


async def test_an_oversized_text_field_is_refused_naming_the_field(client, pool_id):
    data = form(pool_id, [("a.png", imagegen.png())], label="y" * (MAX_FIELD_BYTES + 1))
    response = await client.post("/grid_pool/add", data=data)
    await error_of(response, 400)
    assert "'label'" in (await response.json())["error"]["message"]


async def test_a_multipart_body_of_many_fields_is_cut_off_early(client, pool_id):
    """10,000 fields of 60 KB (600 MB) are refused at the first field over the count, not read and kept."""
    sent = 0

    async def endless_fields():
        nonlocal sent
        boundary = b"--b0undary"
        yield boundary + b'\r\nContent-Disposition: form-data; name="pool_id"\r\n\r\n' + pool_id.encode() + b"\r\n"
        for i in range(10_000):
            chunk = boundary + f'\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n'.encode() + b"x" * 60_000 + b"\r\n"
            sent += len(chunk)
            yield chunk
        yield boundary + b"--\r\n"
    try:
        response = await client.post("/grid_pool/add", data=endless_fields(),
                                     headers={"Content-Type": "multipart/form-data; boundary=b0undary"})
        status = response.status
        assert status == 400
    except aiohttp.ClientError:
        pass  # the server answered and closed while the client was still sending: also a refusal
    assert sent < 50 * 60_000 * 10, f"the client got to send {sent:,} bytes before the refusal"
