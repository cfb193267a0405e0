"""Tools: the admin command line and the translation catalogue."""
