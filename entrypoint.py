#!/usr/bin/env python3
"""Container entrypoint of the lanebench GitHub Action."""

import sys

from lanebench.action import main

if __name__ == "__main__":
    sys.exit(main())
