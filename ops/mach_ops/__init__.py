"""Fleet tooling of the MACH suite, on Nornir: preflight checks (more to come: health, rolling)."""

__all__ = ["__version__"]
__version__ = "0.1.0"
