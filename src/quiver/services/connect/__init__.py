"""Connect: what to paste to use a feed (or a view) from pip, twine, uv, poetry or pdm."""
