"""HTTP surfaces: the simple index, the upload API and the REST API."""
