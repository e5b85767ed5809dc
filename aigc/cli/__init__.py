"""The `aigc` command: thin typer commands that parse arguments and call task functions."""
