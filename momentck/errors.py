"""Exceptions raised by momentck.

Every complaint about user input is a :class:`MomentckError`, a subclass of
:class:`ValueError`, whose message names the offending parameter and says what
is allowed.  The command-line interface turns it into a one-line error and a
non-zero exit status.
"""

__all__ = ["MomentckError", "SpecError", "TooMuchWork"]


class MomentckError(ValueError):
    """Bad input to momentck: the message says what is wrong and what is allowed."""


class SpecError(MomentckError):
    """A malformed or unknown specification string (weights, inputs, activation)."""


class TooMuchWork(MomentckError):
    """A request whose estimated cost is large; repeat it with ``force=True``."""
