"""The website side: read a source at a commit, verify its manifest, plan, write, publish."""
