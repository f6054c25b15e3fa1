"""The host tools' errors: each says what went wrong and what to do."""


class ReslipError(Exception):
    """An expected failure; the command line prints it without a traceback."""
