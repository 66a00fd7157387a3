"""Subcommands of the ``twitchwatch`` CLI: one module each, with ``register(subparsers)``."""
