"""Huiwu (会务): the smart summit platform."""

__version__ = "0.1.0"
