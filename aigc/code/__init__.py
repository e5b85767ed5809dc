"""Code found in model replies: extraction of blocks and files, language names."""
