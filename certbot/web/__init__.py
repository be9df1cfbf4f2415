"""The window onto certbot (issue 14): the web overview with its sign-in (pages*, auth*) and
the JSON API with metrics and health (api*, models, metrics)."""
