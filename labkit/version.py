"""labkit's version (the one place it is written; shown by `docker version` on both engines) and the name it is
distributed under (PyPI's `labkit` is another project: `pip install labkit-netcourse`, then `import labkit`)."""

__version__ = "0.1.0"
DISTRIBUTION = "labkit-netcourse"  # pyproject.toml's [project] name (tests/unit/test_distribution.py keeps them equal)
