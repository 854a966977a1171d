#!/usr/bin/env python3
"""Container entrypoint of the lanebench GitHub Action."""

import sys

from lanebench.action_runtime import take_credentials

if __name__ == "__main__":
    # First of all: GitHub started this process with its tokens in the environment, which
    # any process in the container can read. This re-executes it without them (the token
    # comes through a pipe); only then is the rest imported and anything run.
    token = take_credentials(sys.orig_argv)
    from lanebench.action import main

    sys.exit(main(token=token))
