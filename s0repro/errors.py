"""Errors that are the user's to fix. The runner prints them as one line and exits non-zero, no traceback."""


class UserError(Exception):
    """Bad input (config, paths, environment): the message names what is wrong and how to fix it."""
