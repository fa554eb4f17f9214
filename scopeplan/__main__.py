"""`python -m scopeplan` runs the command line."""

from scopeplan.cli import main

main()
