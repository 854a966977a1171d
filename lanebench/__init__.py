"""lanebench: continuous benchmarking with verdicts that are honest about noise."""

__version__ = "0.1.0"
