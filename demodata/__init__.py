"""Demo and benchmark data (not part of the shipped program)."""
