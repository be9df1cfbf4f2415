"""The window onto certbot (issue 14): the overview pages, the JSON API with its OpenAPI
document, Prometheus metrics and the health checks. `models` holds the response models all of
them share; the queries behind them live in `certbot.store.overview`."""
