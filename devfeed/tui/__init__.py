"""The Textual face of devfeed: `DevfeedApp` and its screens and widgets.

Reads and marks stories through the core's `Store`; never parses, fetches or writes SQL.
The core never imports this package.
"""
