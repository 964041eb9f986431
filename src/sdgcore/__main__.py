"""``python -m sdgcore`` is ``sdg``."""

from sdgcore.cli import main

main()
