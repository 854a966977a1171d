"""lanebench: continuous benchmarking with verdicts that are honest about noise."""

# X.Y.Z in a release commit (tagged vX.Y.Z: the release workflow checks the two agree), and
# the next version with .devN between releases, so that no other build claims to be a release.
__version__ = "0.1.0.dev0"
