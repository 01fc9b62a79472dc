"""labkit's version (the one place it is written; shown by `docker version` on both engines)."""

__version__ = "0.1.0"
