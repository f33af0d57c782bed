"""The benchmark side: the git index, checked and remembered through the sync manifest."""
