"""`python -m scopeplan` (and the `scopeplan` script) runs the command line."""

import sys


def run() -> None:
    """The command line; `--version` alone, and a plain `scan` of a tree nothing changed in
    (quickscan.py), are answered before click and the commands are imported."""
    if sys.argv[1:] == ["--version"]:
        from scopeplan import __version__

        sys.stdout.write(f"scopeplan, version {__version__}\n")  # click's version_option line, tested equal
        return
    if sys.argv[1:2] == ["scan"]:  # a warm pre-commit run: the kept report, before click loads
        from scopeplan.quickscan import answer

        if answer(sys.argv[2:]):
            return
    import gc

    from scopeplan import GC_THRESHOLDS

    gc.set_threshold(*GC_THRESHOLDS)
    from scopeplan.cli import main

    main()


if __name__ == "__main__":
    run()
