"""POST a listing to markwatch's clearance API and print the verdict and findings.

    python clear.py http://127.0.0.1:8000 ../photo.json [TOKEN]

The listing is the JSON `markwatch clear` reads; image paths in it (relative to the file)
are sent as data: URIs, since the server refuses file paths. Standard library only.
Exit code as `markwatch clear`: 0 pass, 1 review or block, 2 bad input or a refused request.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import sys
import urllib.error
import urllib.request
from pathlib import Path


def data_uri(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    server, listing_file = argv[0].rstrip("/"), Path(argv[1])
    listing = json.loads(listing_file.read_text(encoding="utf-8"))
    listing["images"] = [image if image.startswith("data:") else data_uri(listing_file.parent / image)
                         for image in listing.get("images", [])]
    headers = {"Content-Type": "application/json"}
    if len(argv) == 3:  # a server started with --token
        headers["Authorization"] = f"Bearer {argv[2]}"
    request = urllib.request.Request(f"{server}/api/clearance", data=json.dumps(listing).encode("utf-8"),
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            result = json.load(response)
    except urllib.error.HTTPError as exc:  # 413 too large, 422 unusable listing, 503 no registries
        print(f"refused ({exc.code}): {json.load(exc).get('detail')}", file=sys.stderr)
        return 2
    print(result["verdict"].upper())
    for f in result["findings"]:
        print(f"- [{f['severity']}] {f['message']}\n  fix: {f['fix']}")
    return 0 if result["verdict"] == "pass" else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
