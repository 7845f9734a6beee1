"""Served by a stand-in for the public index in the Quiver README's upstream walkthrough."""


def greet() -> str:
    return "Hello from upstream, saved in your feed!"
