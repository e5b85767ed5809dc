"""The model catalogue, assembly of models from part packages, verification, and model resolution."""
