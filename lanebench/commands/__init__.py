"""One module per `lanebench` subcommand; each defines `register(subparsers, formatter)`
and sets `func` to a callable taking the parsed args and returning the exit code.
`ORDER` sorts them in `--help`."""
