"""`python -m scopeplan` (and the `scopeplan` script) runs the command line."""

import sys


def run() -> None:
    """The command line; `--version` alone is answered before click and the commands are imported."""
    if sys.argv[1:] == ["--version"]:
        from scopeplan import __version__

        sys.stdout.write(f"scopeplan, version {__version__}\n")  # click's version_option line, tested equal
        return
    from scopeplan.cli import main

    main()


if __name__ == "__main__":
    run()
