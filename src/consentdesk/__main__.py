import multiprocessing

# In the app bundle, the importer's worker processes start this same executable: let them run their task
# instead of the command line (a no-op everywhere else).
multiprocessing.freeze_support()

from consentdesk.cli import main  # noqa: E402

raise SystemExit(main())
