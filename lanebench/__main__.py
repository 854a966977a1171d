from lanebench.cli import main

raise SystemExit(main())
