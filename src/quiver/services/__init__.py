"""Use cases, one package per feature; transactions begin and end here."""
