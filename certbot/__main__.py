from certbot.cli import main

raise SystemExit(main())
