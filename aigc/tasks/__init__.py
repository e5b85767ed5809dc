"""Task functions: the one place each job's logic lives. The CLI and the server both call these."""
