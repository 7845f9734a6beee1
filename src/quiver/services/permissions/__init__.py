"""Feed permissions: the explicit roles users hold on a feed."""
