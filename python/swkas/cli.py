"""`python -m swkas`: ls and dump, printing what `python -m kastore` prints."""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from typing import List, Optional

from . import __version__
from ._kastore import load

# Sizes as humanize.naturalsize(n, gnu=True) prints them.
_SUFFIXES = "KMGTPEZYRQ"


def natural_size(size: int) -> str:
    """humanize.naturalsize(size, gnu=True): the unit from log base 1024, one
    step up when the rounded mantissa reaches 1024."""
    if size < 1024:
        return "%dB" % size
    exponent = int(min(math.log(size, 1024), len(_SUFFIXES)))
    if exponent < len(_SUFFIXES) and float("%.1f" % (size / (1024 ** exponent))) >= 1024:
        exponent += 1
    return "%.1f%s" % (size / (1024 ** exponent), _SUFFIXES[exponent - 1])


def _list(args: argparse.Namespace) -> None:
    with load(args.store) as store:
        keys = list(store.keys())
        if not args.long:
            for key in keys:
                print(key)
            return
        rows = []
        for key in keys:
            info = store.info(key)
            size = natural_size(info.size) if args.human_readable else str(info.size)
            rows.append((info.dtype, str(info.shape[0]), size, key))
        widths = [max((len(row[column]) for row in rows), default=0) for column in range(3)]
        for dtype, length, size, key in rows:
            print("%s %s %s %s" % (dtype.ljust(widths[0]), length.rjust(widths[1]), size.rjust(widths[2]), key))


def _dump(args: argparse.Namespace) -> None:
    with load(args.store) as store:
        if args.array not in store:
            raise KeyError("no array with key %r" % args.array)
        for value in store[args.array]:
            print(f"{value.item()!r}" if value.dtype.kind == "f" else value)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="swkas", description="Command line utility for kastore files.")
    top.add_argument("-V", "--version", action="version", version="%(prog)s " + __version__)
    top.add_argument("--verbose", "-v", action="count", default=0, help="Increase verbosity.")
    commands = top.add_subparsers(dest="subcommand", required=True)
    ls = commands.add_parser("ls", help="List the contents of a store")
    ls.add_argument("store", help="The input kastore file")
    ls.add_argument("--long", "-l", action="store_true", help="Show details about arrays")
    ls.add_argument("--human-readable", "-H", action="store_true", help="Show array sizes in human-readable format.")
    ls.set_defaults(runner=_list)
    dump = commands.add_parser("dump", help="Dump an array within the file to stdout")
    dump.add_argument("store", help="The input kastore file")
    dump.add_argument("array", help="The key of the array to dump")
    dump.set_defaults(runner=_dump)
    return top


def main(argv: Optional[List[str]] = None) -> None:
    if os.name == "posix":
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends us quietly
    args = parser().parse_args(argv)
    try:
        args.runner(args)
    except KeyError as error:
        sys.exit("swkas: error: %s: %s" % (args.store, error.args[0]))
    except (OSError, EOFError, ValueError, MemoryError) as error:
        sys.exit("swkas: error: %s: %s" % (args.store, error))
    except Exception as error:  # FileFormatError and the other kastore exceptions
        sys.exit("swkas: error: %s: %s: %s" % (args.store, type(error).__name__, error))
