"""Personal access tokens: create, list, revoke; their last use."""
