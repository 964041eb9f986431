"""Run configs: YAML in, attrs out, every problem named by its key path.

The package imports none of its modules, so that a module that needs only the value types
(:mod:`sdgcore.config.values`) does not load the loader, the converter and the plugins with
them. Import each name from the module that holds it:

* :mod:`sdgcore.config.values` — ``Secret``, ``Selected`` and each kind's choice class;
* :mod:`sdgcore.config.schema` — ``RunConfig``, the shape of a run config;
* :mod:`sdgcore.config.loader` — ``load_config``, ``dump_config``, ``fingerprint`` and
  ``structure`` (plugin authors: ``from sdgcore.testing import structure``);
* :mod:`sdgcore.config.converter`, :mod:`sdgcore.config.problems` — the cattrs converter and
  the problems it reports; :mod:`sdgcore.config.reference` — the generated config reference.
"""
