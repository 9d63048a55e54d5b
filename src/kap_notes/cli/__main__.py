"""``python -m kap_notes.cli``."""

import sys

from kap_notes.cli import main

sys.exit(main())
