"""devfeed: one deduplicated terminal feed of hashtags and developer profiles on many platforms."""

__version__ = "0.1.0"
