"""Device login: ``quiver login`` gets a token once a person approves in a browser."""
