"""Checks of integer arguments, shared by every module (one message format everywhere).

>>> check_int(3, "k", 1)
3
>>> check_int(True, "k", 1)
Traceback (most recent call last):
    ...
momentck.errors.MomentckError: k must be an integer >= 1, got True
>>> check_int(2000, "digits", 5, 1000)
Traceback (most recent call last):
    ...
momentck.errors.MomentckError: digits must be an integer in [5, 1000], got 2000
"""

import numbers

from .errors import MomentckError

__all__ = ["check_int", "check_k"]


def check_int(value, what, minimum=None, maximum=None):
    """``value`` as a Python int, or :class:`MomentckError` naming ``what`` and the range.

    Accepts Python and numpy integers, never booleans; the bounds are inclusive.
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok:
        value = int(value)
        ok = (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    if not ok:
        if maximum is None:
            allowed = "an integer" if minimum is None else f"an integer >= {minimum}"
        else:
            allowed = f"an integer in [{minimum}, {maximum}]" if minimum is not None else f"an integer <= {maximum}"
        raise MomentckError(f"{what} must be {allowed}, got {value!r}")
    return value


def check_k(k, what="k"):
    """A moment order or walk length: an integer ``>= 1``."""
    return check_int(k, what, 1)
