"""`python -m monitor.demo_market [PORT] [--small | --scale X] [--photos N] [--until-stdin-closes]`:
serve the demo market until Ctrl-C (as `markwatch demo-market` does, with its options). `--small` serves
the small catalogue, `--scale X` one X times the full one and `--photos N` one whose
listings show at least N photos each (bench/daily_scale.py); `--until-stdin-closes` also
stops when the parent closes our stdin or dies, so a killed `markwatch demo` never leaves
its market behind."""

from __future__ import annotations

import sys
import threading

from monitor.demo_market.catalog import SMALL_SCALE, build_catalog
from monitor.demo_market.server import serve_forever


def _stop_when_stdin_closes(stop: threading.Event) -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        stop.set()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    scale = None
    if "--scale" in args:
        at = args.index("--scale")
        try:
            scale = float(args[at + 1])
            if not 0 < scale <= 100:
                raise ValueError
        except (IndexError, ValueError):
            print("demo-market: --scale takes a number between 0 and 100", file=sys.stderr)
            return 2
        args = args[:at] + args[at + 2:]
    photos = 0
    if "--photos" in args:
        at = args.index("--photos")
        try:
            photos = int(args[at + 1])
            if not 0 <= photos <= 12:
                raise ValueError
        except (IndexError, ValueError):
            print("demo-market: --photos takes a whole number between 0 and 12", file=sys.stderr)
            return 2
        args = args[:at] + args[at + 2:]
    flags = {a for a in args if a.startswith("--")}
    unknown = flags - {"--small", "--until-stdin-closes"}
    if unknown:
        print(f"demo-market: unknown option {sorted(unknown)[0]}", file=sys.stderr)
        return 2
    positional = [a for a in args if not a.startswith("--")]
    try:
        port = int(positional[0]) if positional else 0
    except ValueError:
        print(f"demo-market: the port must be a number, not {positional[0]!r}", file=sys.stderr)
        return 2
    stop = threading.Event()
    if "--until-stdin-closes" in flags:
        threading.Thread(target=_stop_when_stdin_closes, args=(stop,), daemon=True).start()
    catalog = build_catalog(scale=SMALL_SCALE if "--small" in flags else scale or 1.0, photos=photos) \
        if "--small" in flags or scale or photos else None
    try:
        serve_forever(port=port, catalog=catalog, stop=stop,
                      on_ready=lambda url: print(f"Demo market serving on {url} (Ctrl-C to stop)", flush=True))
    except OSError as exc:
        print(f"demo-market: cannot listen on port {port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
