"""Thin wrapper so `python run_sim.py ...` works like the `corridor-sim` command."""

import sys

from corridor_sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
