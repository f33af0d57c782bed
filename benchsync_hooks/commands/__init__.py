"""One module per subcommand: typed arguments in, an exit code out."""
