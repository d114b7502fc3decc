"""`python -m corridor_sim.cli`: the same as the `corridor-sim` command."""

import sys

from corridor_sim.cli import main

sys.exit(main())
