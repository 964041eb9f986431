pytest_plugins = ["sdgcore.testing.fixtures"]
