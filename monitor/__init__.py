"""The markwatch application: brand registry, storage, runs, digests, review, takedowns,
clearance, the CLI and the web app."""
