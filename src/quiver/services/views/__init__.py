"""Views of a feed: ``local`` (everything), and named subsets of promoted versions."""
