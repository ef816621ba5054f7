"""The single place the version lives (read by setuptools via pyproject.toml)."""

__version__ = "0.1.0"
