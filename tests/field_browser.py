"""The field web app in a real browser, for tests/test_field_webapp*.py: the field API served
on a loopback port over a SQLite file (with the control room's services on the same file as the
desk), headless Chromium driven by chromedriver, and the steps an officer takes in the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text

from app.domain.dto_work import TaskDraft
from app.platform.config import DatabaseTarget, sqlite_target
from app.platform.database import Database
from app.platform.permissions import Role
from app.platform.uow import Actor
from app.services import Services
from tests.conftest import ADMIN
from tests.field_setup import officer_with_device, serve_field_api

LEAD = Actor(None, "cli:test", Role.SHIFT_LEAD, "Schichtleitung")
CLERK = Actor(None, "cli:test", Role.CLERK, "Sachbearbeitung")
WAIT_S = 20.0
T = TypeVar("T")


# --- the server and the desk ------------------------------------------------------------------


@dataclass
class Field:
    """The running API, the database it serves and the device's token."""

    base: str
    target: DatabaseTarget
    token: str
    unit_id: int
    device_id: int
    task_id: int
    stop: Callable[[], None] = lambda: None

    def desk(self, work: Callable[[Services], Awaitable[T]]) -> T:
        """Run ``work`` with the control room's services on the same database."""

        async def run() -> T:
            db = Database(self.target, "test-desk")
            try:
                return await work(Services.create(db))
            finally:
                await db.dispose()

        return asyncio.run(run())

    def count(self, sql: str) -> int:
        """One number from the database."""
        engine = Database(self.target).sync_engine()
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()


@contextlib.contextmanager
def running_field(sqlite_template: Path, tmp_path: Path) -> Iterator[Field]:
    """The field API on a loopback port over a SQLite file: an officer with a registered
    device on KOD 11, the catalogue, one Auftrag for the unit."""
    path = tmp_path / "kod.sqlite"
    shutil.copy(sqlite_template, path)
    target = sqlite_target(path)

    async def prepare(services: Services) -> tuple[str, int, int, int]:
        setup = await officer_with_device(services)
        await services.catalogue.import_seed_if_empty(ADMIN)
        task = await services.tasks.create(
            LEAD, TaskDraft(title="Kiosk Hauptstraße prüfen", assigned_unit_id=setup.unit_id)
        )
        return setup.token, setup.unit_id, setup.device_id, task.id

    probe = Field("", target, "", 0, 0, 0)
    token, unit_id, device_id, task_id = probe.desk(prepare)
    api = serve_field_api(target)
    yield Field(api.base, target, token, unit_id, device_id, task_id, api.stop)
    api.stop()


# --- the browser --------------------------------------------------------------------------------


def _chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.fail(
            "Chromium and chromedriver are needed for the field web app's browser test: "
            "apt-get install chromium chromium-driver (scripts/setup.sh installs them)."
        )
    return browser, driver


@contextlib.contextmanager
def headless_chromium(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """Headless Chromium (no X display) with a phone-sized window and its own profile."""
    binary, driver_path = _chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",  # the test may run as root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=430,932",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--lang=de-DE",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=ChromeService(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def until(driver: webdriver.Chrome, condition: Callable[[webdriver.Chrome], Any]) -> Any:
    try:
        return WebDriverWait(driver, WAIT_S, poll_frequency=0.05).until(condition)
    except TimeoutException:
        page = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"the app did not get there; the page shows:\n{page}") from None


def text_of(driver: webdriver.Chrome, element_id: str, part: str) -> str:
    def shown(d: webdriver.Chrome) -> str | bool:
        element = d.find_element(By.ID, element_id)
        value = element.text
        return value if element.is_displayed() and part in value else False

    result: str = until(driver, shown)
    return result


def click(driver: webdriver.Chrome, css: str) -> None:
    element: WebElement = until(
        driver,
        lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()), 0),
    )
    element.click()


def type_into(driver: webdriver.Chrome, element_id: str, value: str) -> None:
    element = driver.find_element(By.ID, element_id)
    element.clear()
    element.send_keys(value)


def photo(tmp_path: Path, name: str, colour: tuple[int, int, int]) -> str:
    image = Image.new("RGB", (800, 600), colour)
    data = io.BytesIO()
    image.save(data, "JPEG", quality=85)
    path = tmp_path / name
    path.write_bytes(data.getvalue())
    return str(path)


def log_in(driver: webdriver.Chrome, field: Field) -> None:
    driver.get(field.base + "/")
    until(driver, lambda d: d.find_element(By.ID, "token").is_displayed())
    type_into(driver, "token", field.token)
    driver.find_element(By.ID, "login-button").click()
    text_of(driver, "unit", "KOD 11")
    text_of(driver, "who", "Stefan Streife")


def set_offline(driver: webdriver.Chrome, offline: bool) -> None:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
