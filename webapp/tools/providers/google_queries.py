"""How one Google Places search finds more than a query's 60 places: the region's query, then its
area cut into 2x2 rectangles (at most two levels deep), and the most queries and pages it takes."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 20
MAX_PAGES = 3  # one query stops after 3 pages of 20 (providers.md §0.2, §1.3)
QUERY_CAP = MAX_PAGES * PAGE_SIZE
PARTS_PER_SIDE = 2
PARTS = PARTS_PER_SIDE * PARTS_PER_SIDE
MAX_DEPTH = 2  # the region's box is cut once, and each of its parts once more at most
MAX_SPLITS = 1 + PARTS  # boxes cut: the region's, then each of its parts (MAX_DEPTH levels)
EDGE_MARGIN = 0.05  # of the box's span on each side: places on its edge fall inside
MIN_MARGIN_DEG = 0.0005  # about 50 m: a box around a single point still has an area
DECIMALS = 6  # about 10 cm; neighbouring parts share the very same edge value


@dataclass(frozen=True)
class Box:
    """A rectangle of latitude and longitude, south-west corner to north-east corner."""

    south: float
    west: float
    north: float
    east: float

    def parts(self) -> list[Box]:
        """The box cut into a PARTS_PER_SIDE x PARTS_PER_SIDE grid; neighbours share edges."""
        lats = _cuts(self.south, self.north)
        lngs = _cuts(self.west, self.east)
        return [
            Box(lats[row], lngs[col], lats[row + 1], lngs[col + 1])
            for row in range(PARTS_PER_SIDE)
            for col in range(PARTS_PER_SIDE)
        ]

    def restriction(self) -> dict[str, Any]:
        """As Text Search's `locationRestriction`: a rectangle, `low` south-west (§1.2)."""
        return {
            "rectangle": {
                "low": {"latitude": self.south, "longitude": self.west},
                "high": {"latitude": self.north, "longitude": self.east},
            }
        }


def bounding_box(points: Iterable[tuple[float, float]]) -> Box | None:
    """The box around (latitude, longitude) points, with a margin; None without a point."""
    found = list(points)
    if not found:
        return None
    lats = [lat for lat, _ in found]
    lngs = [lng for _, lng in found]
    lat_pad = max((max(lats) - min(lats)) * EDGE_MARGIN, MIN_MARGIN_DEG)
    lng_pad = max((max(lngs) - min(lngs)) * EDGE_MARGIN, MIN_MARGIN_DEG)
    return Box(
        south=round(max(min(lats) - lat_pad, -90.0), DECIMALS),
        west=round(max(min(lngs) - lng_pad, -180.0), DECIMALS),
        north=round(min(max(lats) + lat_pad, 90.0), DECIMALS),
        east=round(min(max(lngs) + lng_pad, 180.0), DECIMALS),
    )


def restricted(body: dict[str, Any], box: Box) -> dict[str, Any]:
    """The region's request body kept to `box`; a restriction cannot go with a bias (§1.2)."""
    kept = {key: value for key, value in body.items() if key != "locationBias"}
    return {**kept, "locationRestriction": box.restriction()}


def split_limit(max_results: int) -> int:
    """How many boxes a search may cut: one more for each 60 places wanted, at most the
    region's box and each of its parts (MAX_DEPTH levels)."""
    if max_results <= 0:
        return 0
    return min(MAX_SPLITS, math.ceil(max_results / QUERY_CAP))


def queries_needed(max_results: int) -> tuple[int, int]:
    """The most (queries, pages) one search for `max_results` places may send: the region's
    query, and 4 more for each box cut (`split_limit`), each query reading 3 pages at most.
    A refused page token makes a query read its pages once more: not counted here (see
    `search_budget_s`)."""
    if max_results <= 0:
        return 0, 0
    queries = 1 + PARTS * split_limit(max_results)
    return queries, queries * MAX_PAGES


def _cuts(low: float, high: float) -> list[float]:
    inner = [
        round(low + (high - low) * step / PARTS_PER_SIDE, DECIMALS)
        for step in range(1, PARTS_PER_SIDE)
    ]
    return [low, *inner, high]
