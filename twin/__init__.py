"""Twin: a personal AI twin grounded in one person's notes."""

__version__ = "0.1.0"
