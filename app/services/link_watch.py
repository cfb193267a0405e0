"""Whether the database link is up, for services that decide where a write goes."""

from __future__ import annotations

from collections.abc import Callable


class LinkWatch:
    """Whether the database link is up, as the workstation's change follower last saw it.

    Without a probe (no follower yet, command-line tools) the link counts as up: writes try
    the server and fall back to the outbox only if it does not answer.
    """

    def __init__(self) -> None:
        self._probe: Callable[[], bool] | None = None

    def follow(self, probe: Callable[[], bool] | None) -> None:
        """Ask ``probe`` from now on (None: no link information, counts as up)."""
        self._probe = probe

    def is_online(self) -> bool:
        """True unless the probe says the link is down."""
        return self._probe is None or self._probe()
