"""``duban`` subcommands kept in their own modules. Each module has
``add_to(sub: argparse._SubParsersAction) -> None`` that adds its parsers, each parser with
``set_defaults(run=async_fn)`` where ``async_fn(args, settings) -> int``; ``bot/cli.py`` lists
the modules in ``EXTENSIONS``."""
