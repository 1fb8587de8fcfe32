"""Parsing of specification strings such as ``sparse(c=2, entries=rademacher)``.

The grammar, whitespace-insensitive, is ``name`` or ``name(arg, ..., key=value, ...)``
where every value is a number (integer, decimal or fraction such as ``-1/6``, kept
exact) or a bare name.  This module only splits a string into a name, positional
and keyword arguments; the law and activation modules decide what they mean.
"""

import re
from fractions import Fraction

import sympy

from .errors import MomentckError, SpecError

__all__ = ["parse_spec", "exact_number", "positive_number", "quote", "MAX_EXPONENT", "MAX_DIGITS"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$", re.ASCII)
_NUMBER = re.compile(r"^[+-]?(?P<mant>\d+(\.\d*)?|\.\d+)([eE](?P<exp>[+-]?\d+))?(/[+-]?(?P<den>\d+))?$",
                     re.ASCII)
#: largest decimal exponent a number may carry (float64's range: ~1e-308 to ~1e308)
MAX_EXPONENT = 308
#: most decimal digits in the mantissa or the denominator of a number
MAX_DIGITS = 100
#: characters of user input quoted in an error message
_QUOTE_LIMIT = 80


def quote(value, limit=_QUOTE_LIMIT):
    """``repr(value)`` cut to about ``limit`` characters, for error messages.

    >>> quote("x" * 200)[-28:]
    "xxxxx... (200 characters)'"
    >>> quote("tanh")
    "'tanh'"
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return text[:limit] + "..." + size + text[-1]


def _check_size(match, value, what):
    """Refuse numbers whose exact value would be astronomically large or long (parsing hangs)."""
    exp = match.group("exp")
    if exp is not None and (len(exp.lstrip("+-").lstrip("0")) > 4 or abs(int(exp)) > MAX_EXPONENT):
        raise MomentckError(f"{what}: the exponent of {quote(value)} is out of range; "
                            f"allowed: |exponent| <= {MAX_EXPONENT}")
    digits = len(match.group("mant")) - ("." in match.group("mant"))
    if digits > MAX_DIGITS or len(match.group("den") or "") > MAX_DIGITS:
        raise MomentckError(f"{what}: {quote(value)} has more than {MAX_DIGITS} digits")


def exact_number(value, what):
    """Return ``value`` as an exact sympy number (or a sympy expression as given).

    Strings such as ``"0.5"``, ``"1/3"``, ``"-1/6"`` and ``"2e-3"`` become exact
    rationals; Python ints, Fractions and floats are converted exactly (a float
    becomes the rational it denotes in decimal, ``0.1`` -> ``1/10``).  Sympy
    expressions (e.g. symbols) are returned unchanged.

    Raises
    ------
    MomentckError
        If ``value`` is not a number; the message names ``what``.
    """
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool):
        raise MomentckError(f"{what} must be a number, got {value!r}")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MomentckError(f"{what} must be a finite number, got {value!r}")
        return sympy.Rational(repr(value))
    if isinstance(value, str):
        text = value.replace(" ", "")
        match = _NUMBER.match(text)
        if not match:
            raise MomentckError(
                f"{what} must be a number such as 2, 0.5 or 1/3, got {quote(value)}")
        _check_size(match, value, what)
        num, _, den = text.partition("/")
        q = sympy.Rational(num)
        if den:
            if int(den) == 0:
                raise MomentckError(f"{what} has a zero denominator: {quote(value)}")
            q = q / sympy.Integer(den)
        return q
    try:
        import numpy as np
        if isinstance(value, np.integer):
            return sympy.Integer(int(value))
        if isinstance(value, np.floating):
            return exact_number(float(value), what)
    except ImportError:  # pragma: no cover
        pass
    raise MomentckError(f"{what} must be a number, got {quote(value)}")


def positive_number(value, what):
    """Like :func:`exact_number` but refuses numbers ``<= 0`` (symbols pass)."""
    q = exact_number(value, what)
    if q.is_number and not q > 0:
        raise MomentckError(f"{what} must be > 0, got {q}")
    if not q.is_number and q.is_positive is False:
        raise MomentckError(f"{what} must be > 0, got {q}")
    return q


def _split_args(body, spec):
    args, depth, cur = [], 0, []
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            args.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    args.append("".join(cur))
    if depth != 0:
        raise SpecError(f"unbalanced parentheses in {quote(spec)}")
    return args


def parse_spec(spec, kind):
    """Split a specification string into ``(name, positional, keywords)``.

    Parameters
    ----------
    spec : str
        For example ``"sparse(c=2, entries=rademacher)"`` or ``"poly(1, -1/6)"``.
    kind : str
        What the spec describes (``"weights"``, ``"inputs"``, ``"activation"``),
        used in error messages.

    Returns
    -------
    name : str
        Lower-cased name.
    positional : list of str
    keywords : dict of str to str
        Values are the stripped strings; callers convert them.

    Examples
    --------
    >>> parse_spec(" sparse( c = 2 , entries=rademacher ) ", "weights")
    ('sparse', [], {'c': '2', 'entries': 'rademacher'})
    >>> parse_spec("poly(1,-1/6)", "activation")
    ('poly', ['1', '-1/6'], {})
    """
    if not isinstance(spec, str):
        raise SpecError(f"{kind} spec must be a string, got {quote(spec)}")
    text = re.sub(r"\s+", "", spec)
    if not text:
        raise SpecError(f"{kind} spec is empty")
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(\((.*)\))?$", text)
    if not m:
        raise SpecError(f"malformed {kind} spec {quote(spec)}: expected name or name(arguments)")
    name, body = m.group(1).lower(), m.group(3)
    positional, keywords = [], {}
    if body is not None:
        if body == "":
            raise SpecError(f"malformed {kind} spec {quote(spec)}: empty parentheses")
        for arg in _split_args(body, spec):
            if arg == "":
                raise SpecError(f"malformed {kind} spec {quote(spec)}: empty argument")
            if "=" in arg:
                key, _, val = arg.partition("=")
                if not _NAME.match(key) or val == "":
                    raise SpecError(f"malformed {kind} spec {quote(spec)}: bad argument {quote(arg)}")
                if key.lower() in keywords:
                    raise SpecError(f"malformed {kind} spec {quote(spec)}: {quote(key)} given twice")
                keywords[key.lower()] = val
            else:
                if keywords:
                    raise SpecError(
                        f"malformed {kind} spec {quote(spec)}: positional argument after keyword")
                positional.append(arg)
    return name, positional, keywords
