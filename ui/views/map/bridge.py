"""The two pipes of the map page: the QWebChannel object and the request guard."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWebEngineCore import QWebEngineUrlRequestInfo, QWebEngineUrlRequestInterceptor

#: Schemes that never leave the workstation.
LOCAL_SCHEMES = frozenset({"file", "qrc", "data", "blob", "about"})


class MapBridge(QObject):
    """The object the page sees as ``kodMap`` over QWebChannel.

    Python → page: :attr:`update` carries one JSON text per tick. Page → Python: ``config()``
    (the page's settings as JSON), ``ready()`` once the layers exist, ``selected(kind, id)``
    when a symbol is clicked.
    """

    #: One batch of changes as JSON (see ``situation.js``: apply()).
    update = Signal(str)
    #: The page has set up its layers and listens to :attr:`update`.
    page_ready = Signal()
    #: A symbol was clicked: ``"unit"`` or ``"incident"`` and its id.
    item_selected = Signal(str, int)

    def __init__(self, config_json: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._config = config_json

    @Slot(result=str)
    def config(self) -> str:
        return self._config

    @Slot()
    def ready(self) -> None:
        self.page_ready.emit()

    @Slot(str, int)
    def selected(self, kind: str, item_id: int) -> None:
        if kind in ("unit", "incident"):
            self.item_selected.emit(kind, int(item_id))


class LocalOnlyInterceptor(QWebEngineUrlRequestInterceptor):
    """Records every request of the page and blocks any that would leave the workstation."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: Every requested URL, in order.
        self.requests: list[str] = []
        #: The requests that were blocked (not local).
        self.blocked: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        text = url.toString()
        self.requests.append(text)
        if url.scheme().lower() not in LOCAL_SCHEMES:
            self.blocked.append(text)
            info.block(True)
