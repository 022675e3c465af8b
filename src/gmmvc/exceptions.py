"""Exception and warning types raised by gmmvc.

Every error the library raises on purpose derives from :class:`GmmvcError`, so a
caller can catch the library's failures without catching unrelated bugs.
"""

from __future__ import annotations

__all__ = ["GmmvcError", "ParameterError", "NotFittedError", "ConvergenceWarning"]


class GmmvcError(Exception):
    """Base class of every error gmmvc raises on purpose."""


class ParameterError(GmmvcError, ValueError):
    """An argument or input array is invalid.

    The message names the parameter, what was expected, what was received and
    what to do about it.
    """


class NotFittedError(GmmvcError, AttributeError):
    """A method that needs a fitted model was called before ``fit``."""


class ConvergenceWarning(UserWarning):
    """An iterative fit (EM, MLPG-EM) stopped before it converged."""
