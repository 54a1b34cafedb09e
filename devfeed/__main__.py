"""`python -m devfeed` is the `devfeed` command."""

from devfeed.cli import main

main()
