"""A tiny package published to a Quiver feed in the README walkthrough."""


def greet() -> str:
    return "Hello from a private Quiver feed!"
