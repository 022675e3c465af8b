"""Exception and warning types raised by gmmvc.

Every error the library raises on purpose derives from :class:`GmmvcError`, so a
caller can catch the library's failures without catching unrelated bugs.
"""

from __future__ import annotations

__all__ = ["GmmvcError", "ParameterError", "NotFittedError", "ConvergenceWarning"]


class GmmvcError(Exception):
    """Base class of every error gmmvc raises on purpose.

    Examples
    --------
    >>> import gmmvc
    >>> try:
    ...     gmmvc.AnalysisConfig(fs=1000).validate()
    ... except gmmvc.GmmvcError as exc:
    ...     print(type(exc).__name__, "-", exc)
    ParameterError - fs: expected an integer sample rate of at least 8000 Hz, got 1000
    """


class ParameterError(GmmvcError, ValueError):
    """An argument or input array is invalid.

    The message names the parameter, what was expected, what was received and
    what to do about it.

    Examples
    --------
    It is also a :class:`ValueError`, so code that catches those keeps working:

    >>> import gmmvc
    >>> try:
    ...     gmmvc.AnalysisConfig(alpha=1.5).validate()
    ... except ValueError as exc:
    ...     print(exc)
    alpha: expected 0 <= alpha < 1, got 1.5
    """


class NotFittedError(GmmvcError, AttributeError):
    """A method that needs a fitted model was called before ``fit``.

    Examples
    --------
    >>> import gmmvc
    >>> try:
    ...     gmmvc.JointGMM(2).posteriors([[0.0]])
    ... except gmmvc.NotFittedError as exc:
    ...     print(exc)
    This JointGMM is not fitted yet; call fit(joint, n_source_dims=...) first
    """


class ConvergenceWarning(UserWarning):
    """An iterative fit (EM, MLPG-EM) stopped before it converged.

    A warning, not an error: the result is usable but may improve with more
    iterations. To make it an error while tuning, filter it.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", ConvergenceWarning)
    ...     try:
    ...         warnings.warn("EM stopped early", ConvergenceWarning)
    ...     except ConvergenceWarning as w:
    ...         print("caught:", w)
    caught: EM stopped early
    """
