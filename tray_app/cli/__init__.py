"""The command line: argument parsing, one-shot check, statusline, text rendering."""
