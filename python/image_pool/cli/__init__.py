"""python -m image_pool: the command line (commands), above every other floor."""

from image_pool.cli.commands import main

__all__ = ["main"]
