"""The reader's screens: the reader itself and the help modal."""
