"""Profile one full cycle (issue 16.2: profile before optimising).

python -m bench.profile [N ITEMS M] [--top K]    # default: the quick sizes 40 60 400

Builds the bench world, runs one warm-up cycle (templates compiled, caches filled, as in a
running service), then one cycle under cProfile, and prints the stage times and the top
functions by cumulative and by own time. cProfile sees the event loop's thread; the writer
thread's work (ingest, plan, the outbox's commits) shows as time waiting in ``select``, and its
stage times are printed above the profile.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
from pathlib import Path

from bench import cycle
from bench.common import make_world


async def profile(n: int, items: int, m: int, top: int) -> None:
    with tempfile.TemporaryDirectory(prefix="certbot-profile-") as tmp:
        world = await make_world(n, items, m, Path(tmp))
        try:
            await cycle._cycle_once(world, Path(tmp) / "warm.db")
            prof = cProfile.Profile()
            prof.enable()
            r = await cycle._cycle_once(world, Path(tmp) / "measured.db")
            prof.disable()
        finally:
            await world.server.stop()
    stages = ", ".join(f"{k} {r[k]:.3f} s" for k in (*cycle.STAGES, "total"))
    print(f"N={n} items={items} M={m}: {stages}")
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    ap.add_argument("sizes", nargs="*", type=int, default=[40, 60, 400])
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args(argv)
    n, items, m = args.sizes
    asyncio.run(profile(n, items, m, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
