from consentdesk.cli import main

raise SystemExit(main())
