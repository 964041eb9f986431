"""Run configs: YAML in, attrs out, every problem named by its key path."""

from sdgcore.config.loader import dump_config, fingerprint, load_config, structure
from sdgcore.config.schema import RunConfig
from sdgcore.config.values import Secret, Selected

__all__ = ["RunConfig", "Secret", "Selected", "dump_config", "fingerprint", "load_config",
           "structure"]
