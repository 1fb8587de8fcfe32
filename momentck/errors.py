"""Exceptions raised by momentck.

Every error momentck raises on purpose is a :class:`MomentckError`, a subclass
of :class:`ValueError`, whose message says what is wrong and what is allowed;
the command-line interface turns it into a one-line error and a non-zero exit
status.  Its subclasses say what kind of problem it is:

* :class:`SpecError`: a malformed or unknown specification string;
* :class:`TooMuchWork`: a valid request estimated to be expensive (``force=True``);
* :class:`NotCovered`: a valid request that momentck does not implement (a
  model, an order ``k`` or a method outside what is covered); also a
  :class:`NotImplementedError`;
* :class:`ConvergenceError`: a computation that did not reach its accuracy
  (a series or an iteration that did not converge); also a :class:`RuntimeError`;
* :class:`WorkersLost`: worker processes (local or Dask) kept dying during a
  Monte Carlo run; also a :class:`RuntimeError`.

A plain :class:`MomentckError` is bad input: a parameter out of range.

>>> issubclass(NotCovered, MomentckError) and issubclass(NotCovered, NotImplementedError)
True
"""

__all__ = ["MomentckError", "SpecError", "TooMuchWork", "NotCovered", "ConvergenceError",
           "WorkersLost"]


class MomentckError(ValueError):
    """An error momentck raises on purpose; plain instances mean bad input.

    The message says what is wrong and what is allowed.
    """


class SpecError(MomentckError):
    """A malformed or unknown specification string (weights, inputs, activation)."""


class TooMuchWork(MomentckError):
    """A request whose estimated cost is large; repeat it with ``force=True``."""


class NotCovered(MomentckError, NotImplementedError):
    """A valid request that momentck does not implement; the message says what is covered."""


class ConvergenceError(MomentckError, RuntimeError):
    """A computation that did not reach its accuracy (a series or iteration that did not converge)."""


class WorkersLost(MomentckError, RuntimeError):
    """Worker processes kept dying, so the replicates left could not be computed."""
