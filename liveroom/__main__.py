"""`python -m liveroom`: the one command-line entry."""

from liveroom.cli import main

main()
