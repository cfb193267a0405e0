"""Address gazetteer for Leverkusen: address model, open-data import and search.

* :class:`Address` – one house address with coordinates.
* :func:`parse_house_coordinates_csv` – import of the state's open house-coordinate data
  (NRW "Hauskoordinaten"/"Gebäudereferenzen", UTM zone 32) or of a simple
  ``street,house_number,postcode,lat,lon`` list. Rows that cannot be used are reported with
  their line number and a German message, never silently dropped.
* :class:`AddressIndex` – fast type-ahead search (street prefixes, word prefixes, umlaut and
  "Str."/"Straße" tolerant, house-number aware) and nearest-address lookup.

Pure Python: no Qt, no database.
"""

from app.domain.gazetteer.address import Address, normalize_house_number
from app.domain.gazetteer.house_coordinates import (
    GazetteerFormatError,
    ImportError_,
    ImportResult,
    parse_house_coordinates_csv,
)
from app.domain.gazetteer.search import AddressIndex

__all__ = [
    "Address",
    "AddressIndex",
    "GazetteerFormatError",
    "ImportError_",
    "ImportResult",
    "normalize_house_number",
    "parse_house_coordinates_csv",
]
