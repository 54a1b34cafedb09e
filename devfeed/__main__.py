"""`python -m devfeed` is the `devfeed` command; the installed `devfeed` script enters at
`main` too."""

from devfeed.collector import fewer_collections, no_collection_at_exit


def main() -> None:
    """Import the command with fewer garbage collections (its imports allocate much and
    free little), then run it; no collection while the process ends."""
    no_collection_at_exit()  # first: its handler runs after every other
    with fewer_collections():
        from devfeed.cli import main as command
    command()


if __name__ == "__main__":
    main()
