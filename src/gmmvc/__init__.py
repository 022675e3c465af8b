"""gmmvc: joint-density GMM voice conversion."""

__version__ = "0.1.0"
