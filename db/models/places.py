"""Places: the address gazetteer and the official Stadtteil outlines (part of
:mod:`db.models`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.types import IdType, UTCDateTime


class GazetteerAddress(Base):
    """An address with coordinates for the call-taking address completion."""

    __tablename__ = "gazetteer_address"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    street: Mapped[str] = mapped_column(String(120))
    house_number: Mapped[str] = mapped_column(String(16))
    postcode: Mapped[str | None] = mapped_column(String(8))
    stadtteil: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("street", "house_number", name="uq_gazetteer_address_street_number"),
    )


class MapOutline(Base):
    """An official Stadtteil outline imported from the city's open data (WGS84 GeoJSON).

    When the table has rows the map shows these instead of the approximate demo outlines.
    """

    __tablename__ = "map_outline"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    #: The GeoJSON geometry (Polygon or MultiPolygon, ``[lon, lat]``).
    geometry: Mapped[str] = mapped_column(Text)
    label_lat: Mapped[float] = mapped_column(Float)
    label_lon: Mapped[float] = mapped_column(Float)
    #: The imported file's name (shown as the outlines' source).
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("name", name="uq_map_outline_name"),)
