"""`python -m monitor.demo_market [PORT]`: serve the demo market until Ctrl-C (the same as
`markwatch demo-market`)."""

from __future__ import annotations

import sys

from monitor.demo_market.server import serve_forever


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        port = int(args[0]) if args else 0
    except ValueError:
        print(f"demo-market: the port must be a number, not {args[0]!r}", file=sys.stderr)
        return 2
    serve_forever(port=port, on_ready=lambda url: print(f"Demo market serving on {url} (Ctrl-C to stop)", flush=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
