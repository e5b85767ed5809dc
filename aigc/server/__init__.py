"""`aigc serve`: an OpenAI-compatible API, native endpoints for verified generation and projects, a web page."""
