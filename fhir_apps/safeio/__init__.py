"""Everything that crosses into the project is untrusted: reading it within bounds, showing it
safely, and writing user files so that nothing is lost.

- `text`: which characters hide intent or break a line, and how a foreign string is shown.
- `jsonfile`: JSON files read with a size and depth budget (Graph exports, renders, policy config).
- `atomic`: user files written through a temp file, fsync and rename; exclusive create.
"""
