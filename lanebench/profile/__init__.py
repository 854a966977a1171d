"""Where the instructions went: cachegrind profiles read (`cachegrind`), diffed (`diff`)
and stored small enough for a results file (`store`)."""
