"""The two pipes of the map page: the QWebChannel object and the request guard."""

from __future__ import annotations

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtWebEngineCore import QWebEngineUrlRequestInfo, QWebEngineUrlRequestInterceptor

from app.domain.map_tiles import TileHost
from ui.views.map.tiles import TILE_SCHEME

#: Schemes that never leave the workstation (offline tiles come from the workstation too).
LOCAL_SCHEMES = frozenset({"file", "qrc", "data", "blob", "about", TILE_SCHEME})
#: How many of the page's requests are remembered (for tests and diagnosis).
KEEP_REQUESTS = 1000


class MapBridge(QObject):
    """The object the page sees as ``kodMap`` over QWebChannel.

    Python → page: :attr:`update` carries one JSON text per tick. Page → Python: ``config()``
    (the page's settings as JSON), ``ready()`` once the layers exist, ``selected(kind, id)``
    when a symbol is clicked, ``picked(lat, lon)`` for a click while a location is picked.
    """

    #: One batch of changes as JSON (see ``situation.js``: apply()).
    update = Signal(str)
    #: The page has set up its layers and listens to :attr:`update`.
    page_ready = Signal()
    #: A symbol was clicked: ``"unit"`` or ``"incident"`` and its id.
    item_selected = Signal(str, int)
    #: An empty spot of the map was clicked while picking a location: latitude, longitude.
    point_picked = Signal(float, float)

    def __init__(self, config_json: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._config = config_json

    def set_config(self, config_json: str) -> None:
        """What :meth:`config` answers from now on (set before the page is loaded)."""
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

    @Slot(float, float)
    def picked(self, lat: float, lon: float) -> None:
        self.point_picked.emit(float(lat), float(lon))


class LocalOnlyInterceptor(QWebEngineUrlRequestInterceptor):
    """Records every request of the page and blocks any that would leave the workstation.

    The one exception is the configured tile server (:attr:`tile_host`), if any.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        #: The requested URLs, in order (the newest :data:`KEEP_REQUESTS`: tiles add up).
        self.requests: list[str] = []
        #: The requests that were blocked (not local).
        self.blocked: list[str] = []
        #: The tile server the page may ask (``map.tile_url``), or None.
        self.tile_host: TileHost | None = None

    def allows(self, url: QUrl) -> bool:
        """True for local URLs and those of the configured tile server."""
        scheme = url.scheme().lower()
        if scheme in LOCAL_SCHEMES:
            return True
        port = url.port()
        return self.tile_host is not None and self.tile_host.matches(
            scheme, url.host(), None if port < 0 else port
        )

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        text = url.toString()
        self.requests.append(text)
        if len(self.requests) > 2 * KEEP_REQUESTS:
            del self.requests[:KEEP_REQUESTS]
        if not self.allows(url):
            self.blocked.append(text)
            info.block(True)
