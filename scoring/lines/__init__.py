"""Credit lines and their blocks: opening a line, its usable limit, raising and lifting blocks."""
