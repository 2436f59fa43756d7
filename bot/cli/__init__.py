"""The ``dsr`` command line: bot.cli.main is its entry point."""
