"""Plugin discovery, blocking and the registry of components."""

from sdgcore.plugins.components import Entry, Registry
from sdgcore.plugins.manager import (
    DISABLE_ENV,
    GROUP,
    PluginInfo,
    PluginLoadWarning,
    PluginRecipe,
    SdgPluginManager,
    create_plugin_manager,
)

__all__ = [
    "DISABLE_ENV",
    "GROUP",
    "Entry",
    "PluginInfo",
    "PluginLoadWarning",
    "PluginRecipe",
    "Registry",
    "SdgPluginManager",
    "create_plugin_manager",
]
