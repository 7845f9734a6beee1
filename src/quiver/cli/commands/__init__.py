"""Client commands: each module is one command group and talks to the server via client.py."""
