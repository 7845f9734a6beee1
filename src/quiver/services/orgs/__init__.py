"""Organizations, their members and their projects."""
