"""llexp's Hydra configs, installed as the package `llexp.conf` (see pyproject.toml)."""
