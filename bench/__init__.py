"""certbot's benchmark suite: ``python -m bench`` (``--quick`` for CI). See bench/__main__.py."""
