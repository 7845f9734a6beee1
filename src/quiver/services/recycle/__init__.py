"""recycle."""
