"""The ComfyUI glue's decisions (widget/src/comfyui/logic.ts), run in Chromium from the shipped bundle."""

import pytest

from .browser_support import browser, page, store  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

SLOTS = "[{id: 's-1'}, {id: 's-2'}, {id: 's-3'}]"


@pytest.fixture
def logic(page, store):
    url, _ = store
    page.goto(f"{url}/web/embed-example.html")
    page.wait_for_function("() => customElements.get('image-pool')")

    def call(expression: str):
        return page.evaluate(f"async () => {{ const {{ comfyLogic: L }} = await import('/web/image-pool.js'); "
                             f"return {expression}; }}")
    return call


def test_slot_that_runs_follows_the_python_rule(logic):
    assert logic(f"L.slotThatRuns({SLOTS}, -1, 's-2', 's-3')") == "s-2"
    assert logic(f"L.slotThatRuns({SLOTS}, -1, '', 's-3')") == "s-3"
    assert logic(f"L.slotThatRuns({SLOTS}, -1, 's-gone', null)") == "s-1"
    assert logic(f"L.slotThatRuns({SLOTS}, 1, 's-3', 's-3')") == "s-2"
    assert logic(f"L.slotThatRuns({SLOTS}, 99, '', null)") == "s-3"
    assert logic("L.slotThatRuns([], 0, '', null)") is None


def test_only_mask_editor_results_are_taken_as_masks(logic):
    assert logic("L.maskEditorResult([{filename: 'clipspace-mask-12345.6.png', subfolder: 'clipspace', "
                 "type: 'input'}])") == {"filename": "clipspace-mask-12345.6.png", "subfolder": "clipspace",
                                         "type": "input"}
    assert logic("L.maskEditorResult([{filename: 'clipspace-painted-masked-99.png', subfolder: 'clipspace'}])")
    for other in ("[{filename: 'photo.png', type: 'input'}]", "[{filename: 'clipspace-mask-1.png', type: 'output'}]",
                  "[{filename: 'clipspace-paint-1.png'}]", "null", "[]", "'clipspace-mask-1.png'"):
        assert logic(f"L.maskEditorResult({other})") is None, other


def test_files_are_split_into_images_and_refused(logic):
    result = logic("(() => { const r = L.splitImages([new File([], 'a.png', {type: 'image/png'}), "
                   "new File([], 'b.svg', {type: 'image/svg+xml'}), new File([], 'c.txt', {type: 'text/plain'}), "
                   "new File([], 'd.webp', {type: 'image/webp'})]); "
                   "return [r.images.map(f => f.name), r.refused.map(f => f.name)]; })()")
    assert result == [["a.png", "d.webp"], ["b.svg", "c.txt"]]


def test_view_url_and_new_pool_ids(logic):
    assert logic("L.viewUrl({filename: 'a b.png', subfolder: 'grid_pool/cache/editor/x', type: 'input'})") == \
        "/view?filename=a+b.png&type=input&subfolder=grid_pool%2Fcache%2Feditor%2Fx"
    ids = logic("[L.newPoolId(), L.newPoolId()]")
    assert ids[0] != ids[1] and all(len(i) == 36 for i in ids)
