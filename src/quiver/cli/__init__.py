"""The ``quiver`` command: server commands and the REST client commands."""
