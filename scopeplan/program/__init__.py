"""The whole program, Python semantics only: an index of modules, classes and functions, and their values."""
