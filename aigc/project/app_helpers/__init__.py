"""Modules copied verbatim into generated apps (stdlib only): the one way their handlers reach files and
tools. aigc tests them here; the scaffold copies them into the project's backend package."""
