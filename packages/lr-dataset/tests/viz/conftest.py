"""Headless Chromium driven over the DevTools protocol (aiohttp's websocket client, which
lr-dataset already depends on): open a page, wait for a condition in it, read values and take a
screenshot, so a test looks at what a person would see, when it is ready."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
    "--mute-audio", "--autoplay-policy=no-user-gesture-required", "--remote-debugging-port=0",
]  # fmt: skip


class Page:
    """One browser tab: :meth:`open` a URL, :meth:`wait_for` a JS condition, :meth:`evaluate`,
    :meth:`screenshot`."""

    def __init__(self, ws_url: str, width: int, height: int) -> None:
        self.ws_url = ws_url
        self.size = (width, height)
        self._ids = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._session: Any = None
        self._ws: Any = None
        self._loop.run_until_complete(self._connect())

    async def _connect(self) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession()
        self._ws = await self._session.ws_connect(self.ws_url, max_msg_size=0)
        width, height = self.size
        await self._call("Emulation.setDeviceMetricsOverride",
                         width=width, height=height, deviceScaleFactor=1, mobile=False)  # fmt: skip

    async def _call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        await self._ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads((await self._ws.receive()).data)
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result."""
        return self._loop.run_until_complete(self._call(method, **params))

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        """The (JSON) value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                body = self.evaluate("document.body ? document.body.outerHTML.slice(0, 3000) : ''")
                raise AssertionError(f"{expression} never true; page:\n{body}")
            time.sleep(0.1)

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        async def shut() -> None:
            await self._ws.close()
            await self._session.close()

        self._loop.run_until_complete(shut())
        self._loop.close()


@pytest.fixture
def browser(tmp_path) -> Iterator[Page]:
    """A headless Chromium page (1000x900), or a skip when Chromium is not installed."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    proc = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    page = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            assert proc.poll() is None and time.monotonic() < deadline, "Chromium did not start"
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        import urllib.request

        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list").read())
        ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        page = Page(ws_url, 1000, 900)
        yield page
    finally:
        if page is not None:
            page.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
