"""`python -m certbot`: the command line (certbot.cli)."""

from certbot.cli import main

raise SystemExit(main())
